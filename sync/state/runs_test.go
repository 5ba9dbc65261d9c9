package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// The charts read a day of runs: Since keeps the runs started in it,
// LastSuccessBefore finds the last successful run before, where the lag
// line starts, and neither reads another table's runs.
func TestRunsSinceAndLastSuccessBefore(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	if err := state.New(db).Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	add := func(table, status string, ago time.Duration) {
		synctest.Exec(t, db, "INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at) VALUES ('"+
			table+"', 'schedule', '"+status+"', 1, '"+now.Add(-ago).Format(time.DateTime)+"', '"+now.Add(-ago+time.Second).Format(time.DateTime)+"')")
	}
	add("a", state.StatusOK, 50*time.Hour)
	add("a", state.StatusOK, 30*time.Hour)
	add("a", state.StatusFailed, 26*time.Hour)
	add("b", state.StatusOK, 2*time.Hour)
	add("a", state.StatusOK, 3*time.Hour)
	add("a", state.StatusFailed, time.Hour)
	day := now.Add(-24 * time.Hour)
	runs, err := state.New(db).ListRuns(ctx, state.RunFilter{Table: "a", Since: day, Limit: 100})
	if err != nil || len(runs) != 2 || runs[0].Status != state.StatusFailed || !runs[1].Started.Equal(now.Add(-3*time.Hour)) {
		t.Fatalf("runs of a in the last day: %+v, %v; want the failed one an hour ago and the ok one 3 h ago", runs, err)
	}
	prior, ok, err := state.New(db).LastSuccessBefore(ctx, "a", day)
	if err != nil || !ok || !prior.Started.Equal(now.Add(-30*time.Hour)) || prior.Ended == nil {
		t.Fatalf("last success of a before the day: %+v %v %v; want the one 30 h ago", prior, ok, err)
	}
	if _, ok, err := state.New(db).LastSuccessBefore(ctx, "b", day); ok || err != nil {
		t.Fatalf("last success of b before the day: %v %v; want none", ok, err)
	}
}
