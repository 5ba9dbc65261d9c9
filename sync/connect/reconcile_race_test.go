package connect_test

import (
	"context"
	"fmt"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// TestReconcileRacesInserts: while a reconcile deletes and repairs, the
// source deletes keys and inserts them again (keys the reconcile is about
// to delete, keys it deleted already, keys it is about to repair, a key it
// found missing, a key it found equal). After the reconcile and the next
// run the target equals the source: no key deleted for good that the
// source holds, no row lost, none left that the source lacks.
func TestReconcileRacesInserts(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newVerifyWorld(t, driver, 5000)
			w.table.BatchSize = 100
			w.sync(t)
			synctest.Exec(t, w.src, "DELETE FROM items WHERE id BETWEEN 1001 AND 1300", "UPDATE items SET name = 'behind' WHERE id BETWEEN 2001 AND 2050")
			synctest.Exec(t, w.tgt, "DELETE FROM items WHERE id BETWEEN 3001 AND 3010")
			race := func(batch int) error {
				if batch != 1 {
					return nil
				}
				// Deleted and inserted again in the source while the
				// reconcile runs, now (after the stored cursor).
				reborn := "UPDATE items SET name = 'reborn', updated_at = " + nowSQL(driver) + " WHERE id IN (1001, 1250, 1300, 2001, 3002, 4000)"
				synctest.Exec(t, w.src, "DELETE FROM items WHERE id IN (2001, 3001, 3002, 4000)",
					reinsert(1001), reinsert(1250), reinsert(1300), reinsert(2001), reinsert(3002), reinsert(4000),
					reborn)
				return nil
			}
			rep, err := connect.Reconcile(context.Background(), w.pools, w.table, datasync.ReconcileOptions{AfterBatch: race})
			if err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			if rep.Gone != 1 {
				t.Errorf("reconcile: %+v; want the key found missing and then deleted (3001) counted as gone", rep)
			}
			w.sync(t)
			v := w.verify(t, 8)
			if !v.Equal || v.Pending != 0 || v.SourceRows != 5000-300+3-1 {
				t.Fatalf("after reconcile and the next run: %+v; want equal, nothing pending, 4702 rows", v)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'reborn'"); n != 6 {
				t.Errorf("%d reborn rows in the target, want 6", n)
			}
		})
	}
}

// reinsert is the statement that puts row id back into the source as a
// copy of row 1 (then renamed).
func reinsert(id int) string {
	q := "INSERT INTO items (id, name, price, ratio, ok, born, bin, ref, updated_at) SELECT %d, name, price, ratio, ok, born, bin, ref, updated_at FROM items WHERE id = 2"
	return fmt.Sprintf(q, id)
}

func nowSQL(driver string) string {
	if driver == tables.DriverPostgres {
		return "localtimestamp"
	}
	return "NOW(6)"
}
