package connect_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

func (w *verifyWorld) reconcile(t *testing.T, o datasync.ReconcileOptions) datasync.ReconcileReport {
	t.Helper()
	rep, err := connect.Reconcile(context.Background(), w.pools, w.table, o)
	if err != nil {
		t.Fatalf("reconcile: %v (%+v)", err, rep)
	}
	return rep
}

// targetSum is a fingerprint of every target row and of the table's state
// and run log, to tell that nothing was written.
func targetSum(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var rows, runs int64
	var sum, version string
	q := "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, name, price, ratio, ok, born, HEX(bin), ref, updated_at))), 0) FROM " + table
	if err := db.QueryRow(q).Scan(&rows, &sum); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT CONCAT(version, '/', COALESCE(cursor_value, ''), '/', pages) FROM syncd_state WHERE table_name = 'items'").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM syncd_runs").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d/%s/%s/%d", rows, sum, version, runs)
}

func count(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestReconcile: rows deleted in the source (one, a whole range, the
// first and the last key), target rows that never were in the source,
// rows missing from the target and rows changed behind the cursor are
// found; a dry run lists them and writes nothing; a reconcile deletes
// and repairs exactly them, leaves a pending change to the next run, and
// is recorded in syncd_runs.
func TestReconcile(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newVerifyWorld(t, driver, 5000)
			w.sync(t)
			synctest.Exec(t, w.src, "DELETE FROM items WHERE id IN (1, 2500, 5000) OR id BETWEEN 1000 AND 1199")
			behind := "UPDATE items SET name = 'changed behind the cursor' WHERE id IN (300, 4999)"
			pending := "UPDATE items SET name = 'pending', updated_at = TIMESTAMP '2026-06-01 00:00:00' WHERE id = 5"
			if driver == tables.DriverPostgres {
				pending = "UPDATE items SET name = 'pending', updated_at = timestamp '2026-06-01' WHERE id = 5"
			}
			synctest.Exec(t, w.src, behind, pending)
			synctest.Exec(t, w.tgt,
				"INSERT INTO items SELECT id + 20000, name, price, ratio, ok, born, bin, ref, updated_at FROM items WHERE id IN (7, 8)", // never in the source
				"DELETE FROM items WHERE id = 4321", // missing
			)
			const gone = 3 + 200 + 2

			before := targetSum(t, w.tgt, "items")
			dry := w.reconcile(t, datasync.ReconcileOptions{DryRun: true, MaxKeys: 3})
			if after := targetSum(t, w.tgt, "items"); after != before {
				t.Fatalf("a dry run changed the target or its state: %s, was %s", after, before)
			}
			if dry.Deleted != gone || dry.Repaired.Inserted != 1 || dry.Repaired.Updated != 2 || len(dry.Keys) != 6 || dry.RunID != 0 {
				t.Fatalf("dry run: %+v; want %d to delete, 1 to insert, 2 to update, 3 keys listed per action", dry, gone)
			}
			if dry.Keys[0] != (datasync.Mismatch{Key: "1", Kind: datasync.ActionDelete}) {
				t.Errorf("first key listed: %+v, want 1 to delete", dry.Keys[0])
			}

			rep := w.reconcile(t, datasync.ReconcileOptions{Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)})
			if rep.Deleted != gone || rep.Repaired.Inserted != 1 || rep.Repaired.Updated != 2 || rep.Gone != 0 {
				t.Fatalf("reconcile: %+v; want %d deleted, 1 inserted, 2 updated", rep, gone)
			}
			v := w.verify(t, 8)
			if v.Missing+v.Extra+v.Different+v.Duplicate != 0 || v.Pending != 1 || v.SourceRows != v.TargetRows {
				t.Fatalf("verify after reconcile: %+v; want no difference but the pending row", v)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'pending'"); n != 0 {
				t.Errorf("the pending change (after the cursor) was written by reconcile: it is the next run's")
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'changed behind the cursor'"); n != 2 {
				t.Errorf("%d rows changed behind the cursor repaired, want 2", n)
			}
			q := "SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'reconcile' AND status = 'ok' AND rows_deleted = 205 AND rows_inserted = 1 AND rows_updated = 2 AND id = "
			if n := count(t, w.tgt, q+strconv.FormatInt(rep.RunID, 10)); n != 1 {
				t.Errorf("syncd_runs holds no ok reconcile %d with 205 deleted, 1 inserted, 2 updated", rep.RunID)
			}
			again := w.reconcile(t, datasync.ReconcileOptions{})
			if again.Deleted+again.Repaired.Inserted+again.Repaired.Updated != 0 {
				t.Errorf("a second reconcile still acted: %+v", again)
			}
		})
	}
}

// TestReconcileNeverSynced: a table with no stored position is refused,
// and nothing in its target is touched.
func TestReconcileNeverSynced(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverMySQL, 10)
	synctest.Exec(t, w.tgt, "INSERT INTO items (id, name, updated_at) VALUES (99, 'x', NOW())")
	for _, dry := range []bool{true, false} {
		_, err := connect.Reconcile(context.Background(), w.pools, w.table, datasync.ReconcileOptions{DryRun: dry})
		if !errors.Is(err, datasync.ErrNotSynced) {
			t.Errorf("dry run %v: %v, want ErrNotSynced", dry, err)
		}
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 1 {
		t.Errorf("target has %d rows, want its 1 row untouched", n)
	}
}
