package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// PruneRuns keeps a table's newest successful run however old, when
// newer runs failed: "last success" stays answerable (and the lag with
// it). The runs before that success go.
func TestPruneKeepsOldSuccessBehindFailures(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	store := state.New(db)
	if err := store.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		status string
		ago    int
	}{{state.StatusOK, 9}, {state.StatusOK, 8}, {state.StatusFailed, 7}, {state.StatusFailed, 6}} {
		if _, err := db.Exec("INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at) VALUES ('a', 'schedule', ?, 1, NOW(6) - INTERVAL ? HOUR, NOW(6) - INTERVAL ? HOUR)",
			r.status, r.ago, r.ago); err != nil {
			t.Fatal(err)
		}
	}
	n, err := store.PruneRuns(ctx, "a", time.Now().Add(-time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want only the success before the newest success", n, err)
	}
	started, _, ok, err := store.LastSuccess(ctx, "a")
	if err != nil || !ok || time.Since(started) < 7*time.Hour {
		t.Fatalf("last success after pruning: started %v, %v, %v; want the one 8 h ago", started, ok, err)
	}
	runs, err := store.ListRuns(ctx, state.RunFilter{Table: "a", Limit: 10})
	if err != nil || len(runs) != 3 || runs[2].Status != state.StatusOK || runs[0].Status != state.StatusFailed {
		t.Fatalf("runs left: %+v, %v; want the success 8 h ago and the two failures after it", runs, err)
	}
}
