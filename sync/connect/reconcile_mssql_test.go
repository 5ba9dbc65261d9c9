package connect

import (
	"context"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
)

// Reconcile of a SQL Server source: rows deleted in the source (the
// first, the last and a range) are deleted in the target, a target row
// that never was in the source too, and rows changed behind the cursor
// or missing are written again; a pending change is left to the next run.
func TestReconcileSQLServer(t *testing.T) {
	for _, key := range []string{"id", "g"} {
		t.Run(key, func(t *testing.T) {
			p, tbl, src, tgt := verifySQLServer(t, key)
			ctx := context.Background()
			if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 10000 {
				t.Fatalf("sync: %+v, %v", rec, err)
			}
			synctest.Exec(t, src, "DELETE FROM dbo.items WHERE id IN (1, 10000) OR id BETWEEN 5000 AND 5099",
				"UPDATE dbo.items SET name = N'changed behind the cursor ✓' WHERE id = 300",
				"UPDATE dbo.items SET name = N'pending', updated_at = '2026-06-01' WHERE id = 5")
			synctest.Exec(t, tgt, "DELETE FROM items WHERE id = 4321",
				"INSERT INTO items (id, g, name, updated_at, rv) SELECT 20001, UUID(), name, updated_at, rv FROM items WHERE id = 2")
			rep, err := Reconcile(ctx, p, tbl, datasync.ReconcileOptions{})
			if err != nil || rep.Deleted != 103 || rep.Repaired.Inserted != 1 || rep.Repaired.Updated != 1 {
				t.Fatalf("reconcile: %+v, %v; want 103 deleted, 1 inserted, 1 updated", rep, err)
			}
			v, err := Verify(ctx, p, tbl, 8)
			if err != nil || v.Missing+v.Extra+v.Different+v.Duplicate != 0 || v.Pending != 1 {
				t.Fatalf("verify after reconcile: %+v, %v; want no difference but the pending row", v, err)
			}
		})
	}
}

// Keys deleted and inserted again in a SQL Server source while a
// reconcile deletes and repairs (as TestReconcileRacesInserts): equal
// after the reconcile and the next run.
func TestReconcileRacesInsertsSQLServer(t *testing.T) {
	p, tbl, src, tgt := verifySQLServer(t, "id")
	tbl.BatchSize = 100
	ctx := context.Background()
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 10000 {
		t.Fatalf("sync: %+v, %v", rec, err)
	}
	synctest.Exec(t, src, "DELETE FROM dbo.items WHERE id BETWEEN 1001 AND 1300", "UPDATE dbo.items SET name = N'behind' WHERE id BETWEEN 2001 AND 2050")
	synctest.Exec(t, tgt, "DELETE FROM items WHERE id BETWEEN 3001 AND 3010")
	race := func(batch int) error {
		if batch == 1 {
			synctest.Exec(t, src, "DELETE FROM dbo.items WHERE id IN (2001, 3001, 3002, 4000)",
				"INSERT INTO dbo.items (id, name, updated_at) VALUES (1001, N'reborn', SYSDATETIME()), (1250, N'reborn', SYSDATETIME()), "+
					"(1300, N'reborn', SYSDATETIME()), (2001, N'reborn', SYSDATETIME()), (3002, N'reborn', SYSDATETIME()), (4000, N'reborn', SYSDATETIME())")
		}
		return nil
	}
	rep, err := Reconcile(ctx, p, tbl, datasync.ReconcileOptions{AfterBatch: race})
	if err != nil || rep.Gone != 1 {
		t.Fatalf("reconcile: %+v, %v; want the key found missing and then deleted (3001) counted as gone", rep, err)
	}
	if rec, err := runOnce(t, p, tbl); err != nil {
		t.Fatalf("sync after the reconcile: %+v, %v", rec, err)
	}
	v, err := Verify(ctx, p, tbl, 8)
	if err != nil || !v.Equal || v.Pending != 0 || v.SourceRows != 10000-300+3-1 {
		t.Fatalf("after reconcile and the next run: %+v, %v; want equal, nothing pending, 9702 rows", v, err)
	}
	var n int
	if err := tgt.QueryRow("SELECT COUNT(*) FROM items WHERE name = 'reborn'").Scan(&n); err != nil || n != 6 {
		t.Errorf("%d reborn rows in the target (%v), want 6", n, err)
	}
}
