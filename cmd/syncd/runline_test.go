package main

import (
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// syncd sync ends each table with one line of its run's counts, soft
// deletes among them, as the run log holds them.
func TestSyncPrintsASummaryLine(t *testing.T) {
	const table = `name: items
source: {connection: src, table: items, key: [id], cursor: updated_at, deleted_when: "name = 'gone'"}
target: {table: items, create: true}
deletes: delete
batch_size: 3
settle: 0s
`
	cfg, src, tgt := itemsWorld(t, 10, table)
	synctest.Exec(t, src, `CREATE INDEX items_sync ON items (updated_at, id)`)
	out, code := runCLI("-c", cfg, "sync", "items")
	if code != 0 || !strings.Contains(out, "items: run 1 ok: 10 rows read (10 inserted, 0 updated, 0 unchanged, 0 deleted, 0 rejected, 0 late) in ") {
		t.Fatalf("first sync: exit %d, want a summary of 10 rows inserted\n%s", code, out)
	}
	synctest.Exec(t, src, `UPDATE items SET name = 'gone', updated_at = localtimestamp - interval '30 minutes' WHERE id IN (3, 4)`,
		`UPDATE items SET name = 'new', updated_at = localtimestamp - interval '30 minutes' WHERE id = 5`)
	out, code = runCLI("-c", cfg, "sync", "items")
	if code != 0 || !strings.Contains(out, "items: run 2 ok: 3 rows read (0 inserted, 1 updated, 0 unchanged, 2 deleted, 0 rejected, 0 late) in ") {
		t.Fatalf("second sync: exit %d, want a summary of 1 row updated and 2 deleted\n%s", code, out)
	}
	var n int
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n))
	if n != 8 {
		t.Errorf("target has %d rows, want 8", n)
	}
}

// enqueue --wait's line counts what the run log has, deleted rows too.
func TestWaitLineCountsDeletedRows(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(1500 * time.Millisecond)
	got := rowLine(state.RunRow{ID: 7, Status: state.StatusOK, Started: start, Ended: &end, Read: 6, Inserted: 1, Updated: 1,
		Unchanged: 1, Deleted: 2, Rejected: 1, Late: 3, CursorAfter: "x"}).text("items")
	want := "items: run 7 ok: 6 rows read (1 inserted, 1 updated, 1 unchanged, 2 deleted, 1 rejected, 3 late) in 1.5s, cursor x"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
