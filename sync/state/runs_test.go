package state_test

import (
	"context"
	"strconv"
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

// LastReconcile is the table's newest run with trigger reconcile, past
// newer runs of other triggers and other tables' reconciles; none when
// the table was never reconciled, or before the state tables exist.
func TestLastReconcile(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	if r, err := state.New(db).LastReconcile(ctx, "a"); r != nil || err != nil {
		t.Fatalf("before the state tables exist: %+v, %v; want none", r, err)
	}
	if err := state.New(db).Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	add := func(table, trigger string, deleted int) {
		synctest.Exec(t, db, "INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, rows_deleted) VALUES ('"+
			table+"', '"+trigger+"', 'ok', 1, NOW(), "+strconv.Itoa(deleted)+")")
	}
	add("a", "reconcile", 1)
	add("a", "reconcile", 2)
	add("b", "reconcile", 3)
	add("a", "schedule", 0)
	r, err := state.New(db).LastReconcile(ctx, "a")
	if err != nil || r == nil || r.Trigger != "reconcile" || r.Deleted != 2 || r.Table != "a" {
		t.Fatalf("last reconcile of a: %+v, %v; want its second reconcile (2 rows deleted)", r, err)
	}
	if r, err := state.New(db).LastReconcile(ctx, "c"); r != nil || err != nil {
		t.Fatalf("last reconcile of a table never reconciled: %+v, %v; want none", r, err)
	}
}
