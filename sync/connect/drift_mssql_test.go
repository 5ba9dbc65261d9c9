package connect

import "github.com/syncd/syncd/tables"

// mssqlDriftSource is SQL Server (or Babelfish) among the drift tests'
// sources.
var mssqlDriftSource = driftSource{
	driver: tables.DriverSQLServer, sqlDriver: "sqlserver",
	create: []string{"CREATE TABLE items (id BIGINT NOT NULL PRIMARY KEY, qty INT NOT NULL, updated_at DATETIME2(6) NOT NULL)",
		"INSERT INTO items VALUES (1, 10, '2026-01-01 00:01'), (2, 20, '2026-01-01 00:02'), (3, 30, '2026-01-01 00:03')," +
			" (4, 40, '2026-01-01 00:04'), (5, 50, '2026-01-01 00:05'), (6, 60, '2026-01-01 00:06')"},
	insert: "INSERT INTO items (id, qty, updated_at) VALUES (7, 7, '2026-01-02 00:07'), (8, 8, '2026-01-02 00:08')",
	insertTen: "INSERT INTO items SELECT 100 + i, 100 + i, DATEADD(minute, 100 + i, CAST('2026-01-03' AS DATETIME2(6)))" +
		" FROM (VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10)) AS n(i)",
	addNote:   "ALTER TABLE items ADD note NVARCHAR(20) DEFAULT 'hi'",
	dropQty:   "ALTER TABLE items DROP COLUMN qty",
	retypeQty: "ALTER TABLE items ALTER COLUMN qty DECIMAL(12,2)", // Babelfish takes no NOT NULL here
	qtyWas:    "INT", qtyIs: "DECIMAL(12,2)",
}
