package connect

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// softWorld is a source table with a composite key (a, b) and a soft
// delete flag, and a table declared with deleted_when over it.
type softWorld struct {
	p        *Pools
	tbl      tables.Table
	src, tgt *sql.DB
}

func newSoftWorld(t *testing.T, driver string) *softWorld {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	w := &softWorld{tgt: synctest.Open(t, "mysql", myDSN)}
	var srcDSN, name, ts string
	switch driver {
	case tables.DriverPostgres:
		srcDSN, name, ts = synctest.Postgres(t), "sd", "timestamp(6)"
		w.src = synctest.Open(t, "pgx", srcDSN)
	case tables.DriverMySQL:
		_, srcDSN = synctest.MariaDB(t)
		name, ts = "sd", "DATETIME(6)"
		w.src = synctest.Open(t, "mysql", srcDSN)
	case tables.DriverSQLServer:
		srcDSN, name, ts = synctest.SQLServer(t), "dbo.sd", "DATETIME2(6)"
		w.src = synctest.Open(t, "sqlserver", srcDSN)
	}
	synctest.Exec(t, w.src, "CREATE TABLE "+name+` (a INT NOT NULL, b VARCHAR(10) NOT NULL, name VARCHAR(50) NOT NULL,
		is_deleted INT NOT NULL DEFAULT 0, updated_at `+ts+` NOT NULL, PRIMARY KEY (a, b))`,
		"CREATE INDEX ix_sd_sync ON "+name+" (updated_at, a, b)",
		"INSERT INTO "+name+` (a, b, name, is_deleted, updated_at) VALUES
			(1, 'a', 'one a', 0, '2026-01-01 00:00:01'), (1, 'b', 'one b', 0, '2026-01-01 00:00:01'),
			(2, 'a', 'two a', 0, '2026-01-01 00:00:02'), (2, 'b', 'two b', 0, '2026-01-01 00:00:02'),
			(3, 'a', 'three a', 0, '2026-01-01 00:00:03'), (3, 'b', 'three b', 0, '2026-01-01 00:00:03'),
			(4, 'a', 'deleted before the first run', 1, '2026-01-01 00:00:04')`)
	w.p = pools(t, driver, srcDSN, myDSN)
	w.tbl = createdTable("sd", name, "a", "updated_at")
	w.tbl.Source.Key = []string{"a", "b"}
	w.tbl.Source.DeletedWhen = "is_deleted = 1"
	w.tbl.OnBadRows, w.tbl.Deletes = tables.OnBadRowsFail, tables.DeletesDelete
	return w
}

// TestDeletedWhen: rows the source marks deleted are not written by the
// first load, and later soft deletes remove (or mark) their target rows in
// the ordinary run, counted in rows_deleted, with a page boundary between
// a deleted and a live row of one cursor value; verify then finds the
// tables equal and reconcile has nothing to do. A row that comes back is
// written again, its mark cleared.
//
// check --connect has the source parse the page query with its
// deleted_when first, so that a condition naming a column the source
// lacks is an error before any run. (On SQL Server, one mode: the marks
// are the target's, and each Babelfish database costs seconds.)
func TestDeletedWhen(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL, tables.DriverSQLServer} {
		for _, mode := range []string{tables.DeletesDelete, tables.DeletesMark} {
			if driver == tables.DriverSQLServer && mode == tables.DeletesMark {
				continue
			}
			t.Run(driver+"/"+mode, func(t *testing.T) {
				t.Parallel()
				w := newSoftWorld(t, driver)
				w.checkCheck(t)
				w.checkDeletedWhen(t, mode)
			})
		}
	}
}

// checkCheck: Check refuses a deleted_when the source cannot run, and
// takes the declared one.
func (w *softWorld) checkCheck(t *testing.T) {
	ctx := context.Background()
	bad := w.tbl
	bad.Source.DeletedWhen = "no_such_column = 1"
	var found bool
	for _, p := range Check(ctx, w.p, bad) {
		found = found || (p.Error && strings.Contains(p.Message, "refuses the page query"))
	}
	if !found {
		t.Fatalf("check of a deleted_when naming no column: %+v; want the page query refused", Check(ctx, w.p, bad))
	}
	for _, p := range Check(ctx, w.p, w.tbl) {
		if p.Error && strings.Contains(p.Message, "page query") {
			t.Errorf("check of a good deleted_when: %s", p.Message)
		}
	}
}

func (w *softWorld) checkDeletedWhen(t *testing.T, mode string) {
	name := w.tbl.Source.Table
	if rec, err := runOnce(t, w.p, w.tbl); err != nil || rec.Inserted != 6 || rec.Deleted != 0 || rec.Read != 7 {
		t.Fatalf("first run: %+v, %v; want 7 read, 6 inserted, the deleted row left out, 0 deleted", rec, err)
	}
	if mode == tables.DeletesMark {
		synctest.Exec(t, w.tgt, "ALTER TABLE sd ADD COLUMN gone_at DATETIME(6) NULL")
		w.tbl.Deletes, w.tbl.Target.DeletedColumn = tables.DeletesMark, "gone_at"
	}
	// One cursor value, in (cursor, a, b) order: live, deleted | live,
	// deleted: with batch_size 2 a page boundary falls between the deleted
	// (2, a) and the live (2, b).
	synctest.Exec(t, w.src,
		"UPDATE "+name+" SET name = 'one a again', updated_at = '2026-01-01 00:00:09' WHERE a = 1 AND b = 'a'",
		"UPDATE "+name+" SET is_deleted = 1, updated_at = '2026-01-01 00:00:09' WHERE a IN (2, 3) AND b = 'a'",
		"UPDATE "+name+" SET name = 'two b again', updated_at = '2026-01-01 00:00:09' WHERE a = 2 AND b = 'b'")
	rec, err := runOnce(t, w.p, w.tbl)
	if err != nil || rec.Read != 4 || rec.Updated != 2 || rec.Deleted != 2 || rec.Pages != 2 {
		t.Fatalf("second run: %+v, %v; want 4 read in 2 pages, 2 updated, 2 deleted", rec, err)
	}
	if got := count(t, w.tgt, "SELECT rows_deleted FROM syncd_runs WHERE id = (SELECT MAX(id) FROM syncd_runs)"); got != 2 {
		t.Errorf("syncd_runs.rows_deleted = %d, want 2", got)
	}
	live := "SELECT COUNT(*) FROM sd WHERE (a, b) IN ((1, 'a'), (1, 'b'), (2, 'b'), (3, 'b')) AND name IN ('one a again', 'one b', 'two b again', 'three b')"
	if mode == tables.DeletesMark {
		live += " AND gone_at IS NULL"
		if n := count(t, w.tgt, "SELECT COUNT(*) FROM sd WHERE a IN (2, 3) AND b = 'a' AND gone_at IS NOT NULL"); n != 2 {
			t.Errorf("%d rows marked, want (2, a) and (3, a)", n)
		}
	} else if n := count(t, w.tgt, "SELECT COUNT(*) FROM sd"); n != 4 {
		t.Errorf("target holds %d rows, want the 4 live ones", n)
	}
	if n := count(t, w.tgt, live); n != 4 {
		t.Errorf("%d of the 4 live rows in the target as the source has them", n)
	}
	w.checkAgrees(t)
	w.checkComesBack(t, mode)
}

// checkAgrees: verify finds the tables equal and reconcile changes nothing.
func (w *softWorld) checkAgrees(t *testing.T) {
	ctx := context.Background()
	v, err := Verify(ctx, w.p, w.tbl, 4)
	if err != nil || !v.Equal || v.SourceRows != 4 || v.Extra != 0 {
		t.Fatalf("verify: %+v, %v; want equal, 4 live source rows", v, err)
	}
	rep, err := Reconcile(ctx, w.p, w.tbl, datasync.ReconcileOptions{})
	if err != nil || rep.Deleted != 0 || rep.Repaired != (datasync.WriteStats{}) || rep.Gone != 0 {
		t.Fatalf("reconcile: %+v, %v; want nothing to do", rep, err)
	}
}

// checkComesBack: a soft-deleted row undeleted in the source is written
// again (and unmarked).
func (w *softWorld) checkComesBack(t *testing.T, mode string) {
	synctest.Exec(t, w.src, "UPDATE "+w.tbl.Source.Table+" SET is_deleted = 0, updated_at = '2026-01-01 00:00:10' WHERE a = 2 AND b = 'a'")
	rec, err := runOnce(t, w.p, w.tbl)
	if err != nil || rec.Read != 1 || rec.Deleted != 0 || rec.Inserted+rec.Updated+rec.Unchanged != 1 {
		t.Fatalf("run after the undelete: %+v, %v", rec, err)
	}
	q := "SELECT COUNT(*) FROM sd WHERE a = 2 AND b = 'a'"
	if mode == tables.DeletesMark {
		q += " AND gone_at IS NULL"
	}
	if n := count(t, w.tgt, q); n != 1 {
		t.Errorf("the row back in the source: %d in the target (unmarked), want 1", n)
	}
}
