package connect

import (
	"context"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A deleted_when over a nullable column holds only where it is true: a
// row whose condition is NULL (is_deleted unset) is live, written by the
// run and counted by verify as a source row, never deleted.
func TestDeletedWhenNullIsLive(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			_, myDSN := synctest.MariaDB(t)
			tgt := synctest.Open(t, "mysql", myDSN)
			srcDSN, ts := synctest.Postgres(t), "timestamp(6)"
			if driver == tables.DriverMySQL {
				_, srcDSN = synctest.MariaDB(t)
				ts = "DATETIME(6)"
			}
			src := synctest.Open(t, map[string]string{tables.DriverPostgres: "pgx", tables.DriverMySQL: "mysql"}[driver], srcDSN)
			synctest.Exec(t, src, "CREATE TABLE sn (id INT NOT NULL PRIMARY KEY, is_deleted INT NULL, updated_at "+ts+" NOT NULL)",
				"CREATE INDEX ix_sn_sync ON sn (updated_at, id)",
				`INSERT INTO sn (id, is_deleted, updated_at) VALUES (1, NULL, '2026-01-01 00:00:01'),
					(2, 0, '2026-01-01 00:00:02'), (3, 1, '2026-01-01 00:00:03'), (4, NULL, '2026-01-01 00:00:04')`)
			p := pools(t, driver, srcDSN, myDSN)
			tbl := createdTable("sn", "sn", "id", "updated_at")
			tbl.Source.DeletedWhen = "is_deleted = 1"
			tbl.OnBadRows, tbl.Deletes = tables.OnBadRowsFail, tables.DeletesDelete
			if rec, err := runOnce(t, p, tbl); err != nil || rec.Read != 4 || rec.Inserted != 3 || rec.Deleted != 0 {
				t.Fatalf("first run: %+v, %v; want 4 read, 3 inserted (the NULL rows live), 0 deleted", rec, err)
			}
			if n := count(t, tgt, "SELECT COUNT(*) FROM sn WHERE id IN (1, 2, 4)"); n != 3 {
				t.Fatalf("%d of the live rows 1, 2, 4 in the target, want 3", n)
			}
			// Set to NULL later: still live, written again, not deleted.
			synctest.Exec(t, src, "UPDATE sn SET is_deleted = NULL, updated_at = '2026-01-01 00:00:09' WHERE id = 2")
			if rec, err := runOnce(t, p, tbl); err != nil || rec.Read != 1 || rec.Deleted != 0 {
				t.Fatalf("run after is_deleted set to NULL: %+v, %v; want 1 read, 0 deleted", rec, err)
			}
			if n := count(t, tgt, "SELECT COUNT(*) FROM sn"); n != 3 {
				t.Fatalf("target holds %d rows, want 3", n)
			}
			v, err := Verify(context.Background(), p, tbl, 4)
			if err != nil || !v.Equal || v.SourceRows != 3 {
				t.Fatalf("verify: %+v, %v; want equal, 3 live source rows", v, err)
			}
		})
	}
}
