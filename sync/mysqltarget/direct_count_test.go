package mysqltarget

import (
	"context"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// The direct load checks the server's count as well as its warnings: a
// load that inserted fewer rows than the page holds, with no warning, is
// undone and the page left to the merge. LOAD DATA's ways of dropping a
// row (a duplicate key, a value it cuts) all raise a warning too, so the
// count is checked here on its own, with a stream one row short of the
// page against the real server.
func TestDirectLoadShortCountUndone(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	synctest.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) NULL)")
	ctx := context.Background()
	tgt, err := NewTarget(ctx, db, TargetOptions{Table: tables.Ident{Parts: []string{"t"}}, Columns: []string{"id", "name"}, Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	data, encoded := encodeRows([]datasync.Row{{int64(1), "a"}, {int64(2), "b"}})
	if !encoded {
		t.Fatal("two plain rows not encoded")
	}
	loadIn := func(n int) (ok bool, rows int) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() //nolint:errcheck // the table is left empty for the next load
		ok, err = tgt.loadEncoded(ctx, tx, n, data, encoded)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		return ok, rows
	}
	if ok, rows := loadIn(3); ok || rows != 0 {
		t.Fatalf("a page of 3 rows loaded as 2: ok %v, %d rows left in the transaction; want undone, 0", ok, rows)
	}
	if ok, rows := loadIn(2); !ok || rows != 2 {
		t.Fatalf("a page of 2 rows loaded as 2: ok %v, %d rows; want loaded, 2", ok, rows)
	}
	if tgt.DirectMisses() != 1 || tgt.DirectPages() != 1 {
		t.Fatalf("%d misses, %d direct pages; want the short load counted as a miss, the full one as a page", tgt.DirectMisses(), tgt.DirectPages())
	}
}
