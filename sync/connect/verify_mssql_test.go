package connect

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// digits is a T-SQL derived table of the numbers 1..10000 (i), written so
// that SQL Server and Babelfish both take it.
const digits = `(SELECT a.v * 1000 + b.v * 100 + c.v * 10 + d.v + 1 AS i
	FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS a(v)
	CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS b(v)
	CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS c(v)
	CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS d(v)) AS n`

// verifySQLServer makes a SQL Server source table of every family verify
// compares (a rowversion and a 1/300 s datetime among them, non-ASCII
// text), 10,000 rows with primary key key, and a declaration whose target
// is created from its catalog. The datetimes are on 1/300 s ticks:
// Babelfish keeps any millisecond, and TDS sends a datetime in ticks.
func verifySQLServer(t *testing.T, key string) (p *Pools, tbl tables.Table, src, tgt *sql.DB) {
	t.Helper()
	srcDSN := synctest.SQLServer(t)
	_, myDSN := synctest.MariaDB(t)
	src, tgt = synctest.Open(t, "sqlserver", srcDSN), synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, src, `CREATE TABLE dbo.items (id BIGINT NOT NULL, g UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
		name NVARCHAR(100) NOT NULL, price DECIMAL(12,2) NULL, ratio FLOAT NULL, ok BIT NULL, born DATE NULL,
		bin VARBINARY(16) NULL, ref UNIQUEIDENTIFIER NULL, at DATETIME NULL, updated_at DATETIME2(6) NOT NULL, rv ROWVERSION,
		CONSTRAINT pk_items PRIMARY KEY (`+key+`))`,
		`INSERT INTO dbo.items (id, name, price, ratio, ok, born, bin, ref, at, updated_at)
		SELECT i, CONCAT(N'name ', i, N' ✓ 供应商 😀'), i * 1.25, i / 3.0, i % 2, DATEADD(day, i, '2020-01-01'),
			HASHBYTES('MD5', CAST(i AS VARCHAR(10))), NEWID(), DATEADD(millisecond, i * 10, '2026-01-01'),
			DATEADD(microsecond, i * 7, CAST('2026-01-01' AS DATETIME2(6))) FROM `+digits,
		`UPDATE dbo.items SET price = NULL, ref = NULL, bin = NULL WHERE id % 97 = 0`,
		`CREATE INDEX ix_items_sync ON dbo.items (updated_at, `+key+`)`)
	p = pools(t, tables.DriverSQLServer, srcDSN, myDSN)
	tbl = createdTable("items", "dbo.items", key, "updated_at")
	tbl.BatchSize, tbl.OnBadRows = 2500, tables.OnBadRowsFail
	return p, tbl, src, tgt
}

// Verify compares a SQL Server table with its target by checksums that
// both servers compute alike, without a UTF-8 collation: equal after a
// sync, every column compared; each kind of fault found by key.
func TestVerifySQLServer(t *testing.T) {
	p, tbl, src, tgt := verifySQLServer(t, "id")
	ctx := context.Background()
	if rep, err := Verify(ctx, p, tbl, 8); err == nil || rep.Equal {
		// Before the first run the target table does not exist yet.
		t.Logf("before any sync: %+v, %v", rep, err)
	}
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 10000 {
		t.Fatalf("sync: %+v, %v", rec, err)
	}
	rep, err := Verify(ctx, p, tbl, 8)
	if err != nil || !rep.Equal || rep.SourceRows != 10000 || rep.TargetRows != 10000 || rep.Ranges != 1 || len(rep.Skipped) != 0 {
		t.Fatalf("after a sync: %+v, %v; want equal in one checksum, every column compared", rep, err)
	}
	synctest.Exec(t, tgt,
		"DELETE FROM items WHERE id = 4321", // missing
		"INSERT INTO items (id, g, name, updated_at, rv) SELECT 20001, g, name, updated_at, rv FROM items WHERE id = 1", // extra
		"UPDATE items SET price = price + 0.01 WHERE id = 777",                                                          // different
		"UPDATE items SET name = REPLACE(name, '😀', '😁') WHERE id = 9000",                                               // different, in a 4-byte character only
		"UPDATE items SET at = at + INTERVAL 1000 MICROSECOND WHERE id = 9001",                                          // different, by a millisecond
		"UPDATE items SET bin = UNHEX('00') WHERE id = 9002",                                                            // different
	)
	synctest.Exec(t, src, "UPDATE dbo.items SET name = N'renamed', updated_at = '2026-06-01' WHERE id = 5")
	rep, err = Verify(ctx, p, tbl, 8)
	want := map[string]string{"4321": "missing", "20001": "extra", "777": "different", "9000": "different", "9001": "different", "9002": "different"}
	if err != nil || rep.Equal || rep.Missing != 1 || rep.Extra != 1 || rep.Different != 4 || rep.Pending != 1 || len(rep.Keys) != 6 {
		t.Fatalf("after faults: %+v, %v; want 1 missing, 1 extra, 4 different, 1 pending", rep, err)
	}
	for _, k := range rep.Keys {
		if want[k.Key] != k.Kind {
			t.Errorf("key %s reported %s, want %q", k.Key, k.Kind, want[k.Key])
		}
	}
}

// With a uniqueidentifier key, verify cuts the table by the source's order
// of GUIDs and still finds the one row that differs.
func TestVerifySQLServerGUIDKey(t *testing.T) {
	p, tbl, _, tgt := verifySQLServer(t, "g")
	ctx := context.Background()
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 10000 {
		t.Fatalf("sync: %+v, %v", rec, err)
	}
	if rep, err := Verify(ctx, p, tbl, 8); err != nil || !rep.Equal {
		t.Fatalf("after a sync: %+v, %v; want equal", rep, err)
	}
	var g string
	if err := tgt.QueryRow("SELECT g FROM items WHERE id = 6543").Scan(&g); err != nil {
		t.Fatal(err)
	}
	synctest.Exec(t, tgt, "UPDATE items SET ratio = 0 WHERE id = 6543")
	rep, err := Verify(ctx, p, tbl, 8)
	if err != nil || rep.Equal || rep.Different != 1 || rep.Missing+rep.Extra != 0 || len(rep.Keys) != 1 || !strings.EqualFold(rep.Keys[0].Key, g) || rep.Ranges <= 1 {
		t.Fatalf("after a fault: %+v, %v; want %s different, found through ranges", rep, err, g)
	}
}
