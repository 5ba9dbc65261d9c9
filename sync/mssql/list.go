package mssql

import (
	"context"
	"database/sql"

	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.Lister = Dialect{}

// listQuery lists the user tables and views of the database, of one
// schema or (an empty @p1) of all. The rows are the heap's or clustered
// index's count in sys.partitions, the catalog's own figure. The names are
// cast to nvarchar because Babelfish's sys.objects and sys.schemas return
// them as varchar, which turns a name outside the code page (客户订单)
// into ???? that no later lookup finds; on SQL Server sysname is
// nvarchar(128) already.
const listQuery = `SELECT CAST(s.name AS nvarchar(128)), CAST(o.name AS nvarchar(128)), CASE WHEN o.type = 'V' THEN 1 ELSE 0 END,
	(SELECT SUM(p.rows) FROM sys.partitions p WHERE p.object_id = o.object_id AND p.index_id IN (0, 1)),
	(SELECT TOP 1 c.name FROM sys.columns c WHERE c.object_id = o.object_id AND c.is_identity = 1)
FROM sys.objects o JOIN sys.schemas s ON s.schema_id = o.schema_id
WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND (@p1 = '' OR s.name = @p1)
ORDER BY s.name, o.name`

// ListTables implements datasync.Lister.
func (Dialect) ListTables(ctx context.Context, db *sql.DB, schema string) ([]datasync.TableEntry, error) {
	return datasync.QueryTableEntries(ctx, db, listQuery, schema)
}
