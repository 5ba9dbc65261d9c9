package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// keptHandler is a handler that keeps setups between runs, as syncd run's.
func (f *fixture) keptHandler() *queue.Handler {
	return &queue.Handler{Catalog: f.catalog(), Pools: f.pools, Log: f.log, Jobs: connect.NewJobs(f.pools)}
}

// process runs one task of tb with trigger through h, as a worker would.
func (f *fixture) process(h *queue.Handler, tb tables.Table, trigger string) error {
	f.t.Helper()
	task, _, err := queue.NewTask(tb, trigger)
	if err != nil {
		f.t.Fatal(err)
	}
	return h.ProcessTask(context.Background(), task)
}

// stateOf returns the fencing version and the folded runs of name.
func (f *fixture) stateOf(name string) (version int64, folded state.Folded) {
	f.t.Helper()
	st, _, err := state.New(f.tgt).ReadState(context.Background(), name)
	if err != nil {
		f.t.Fatal(err)
	}
	folded, err = state.New(f.tgt).ReadFolded(context.Background(), name)
	if err != nil {
		f.t.Fatal(err)
	}
	return st.Version, folded
}

// A quiet table's scheduled runs are folded into syncd_state: each still
// raises the fencing version, the run log keeps every run that read rows
// (and every manual run), and the last run and last success stay exact.
func TestKeptSetupFoldsEmptyRuns(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.declare("quiet", "@daily")
	f.insert("quiet", 1, 10)
	tb, h := f.table("quiet"), f.keptHandler()
	for range 2 {
		if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
			t.Fatal(err)
		}
	}
	rs := f.runs("quiet")
	if len(rs) != 1 || rs[0].Read != 10 || rs[0].Status != state.StatusOK {
		t.Fatalf("runs = %+v, want the one run that read 10 rows; the empty one folded", rs)
	}
	v1, fold := f.stateOf("quiet")
	if fold.Count != 1 || fold.Ended == nil || fold.Ended.Before(*rs[0].Ended) {
		t.Fatalf("folded = %+v, want 1 run ended after run %d", fold, rs[0].ID)
	}
	// Rows changed: the cached run reads them and is listed.
	f.insert("quiet", 11, 12)
	if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
		t.Fatal(err)
	}
	if ok, why := f.same("quiet"); !ok {
		t.Fatal(why)
	}
	// More than a page (batch_size 100): the page read before the claim
	// and the pages after it.
	f.insert("quiet", 13, 262)
	if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
		t.Fatal(err)
	}
	if ok, why := f.same("quiet"); !ok {
		t.Fatal(why)
	}
	if err := f.process(h, tb, datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
		t.Fatal(err)
	}
	rs = f.runs("quiet")
	if len(rs) != 4 || rs[1].Read != 2 || rs[2].Read != 250 || rs[2].Pages != 3 || rs[3].Trigger != datasync.TriggerManual || rs[3].Read != 0 {
		t.Fatalf("runs = %+v, want 10 rows, 2 rows, 250 rows in 3 pages, a manual empty run", rs)
	}
	v2, fold := f.stateOf("quiet")
	if fold.Count != 2 || v2 != v1+4 {
		t.Fatalf("folded %d runs, version %d -> %d: want 2 folded and the version raised by each of 4 runs", fold.Count, v1, v2)
	}
	// The status says the folded run is the last run and the last success.
	st := queue.NewStatusReader(f.pools, f.enq.Inspector()).Read(context.Background(), []tables.Table{tb})[0]
	if st.LastRun == nil || st.LastRun.ID != 0 || !st.LastRun.Ended.Equal(*fold.Ended) || st.LastRun.Status != state.StatusOK {
		t.Fatalf("last run = %+v, want the folded run that ended %s", st.LastRun, fold.Ended)
	}
	if st.LastSuccess == nil || !st.LastSuccess.Equal(*fold.Ended) {
		t.Fatalf("last success = %v, want %s", st.LastSuccess, fold.Ended)
	}
}

// A column added to the source under a kept setup is noticed at the next
// run, before anything is read: the setup is made again and the run stops
// with the drift, as without kept setups.
func TestKeptSetupSeesSourceColumns(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.declare("grows", "@daily")
	f.insert("grows", 1, 3)
	tb, h := f.table("grows"), f.keptHandler()
	for range 2 {
		if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
			t.Fatal(err)
		}
	}
	synctest.Exec(t, f.src, "ALTER TABLE src_grows ADD COLUMN color text")
	err := f.process(h, tb, datasync.TriggerSchedule)
	if err == nil || !strings.Contains(err.Error(), "column color (text) is new") {
		t.Fatalf("err = %v, want the new column named", err)
	}
	rs := f.runs("grows")
	if last := rs[len(rs)-1]; last.Status != state.StatusFailed || !strings.Contains(last.Error, "color") {
		t.Fatalf("last run = %+v, want failed naming the column", last)
	}
}

// A paused table with a kept setup ends its task reading nothing: no run
// is recorded and the source is not asked.
func TestKeptSetupPaused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.declare("rests", "@daily")
	f.insert("rests", 1, 3)
	tb, h := f.table("rests"), f.keptHandler()
	for range 2 {
		if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
			t.Fatal(err)
		}
	}
	if err := ops.New(f.pools, nil).Pause(context.Background(), tb); err != nil {
		t.Fatal(err)
	}
	// The source's table is gone: a read would fail.
	synctest.Exec(t, f.src, "ALTER TABLE src_rests RENAME TO src_rests_away")
	if err := f.process(h, tb, datasync.TriggerSchedule); err != nil {
		t.Fatalf("paused table's task: %v, want nil", err)
	}
	if !h.Jobs.Kept(tb) {
		t.Fatal("the paused table's setup was dropped: its source was asked")
	}
	if rs := f.runs("rests"); len(rs) != 1 {
		t.Fatalf("runs = %+v, want only the first", rs)
	}
}

// The pruner deletes runs older than runs.keep in batches, and never a run
// under way (however old its start), the newest run or the newest
// successful one.
func TestPruneRuns(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.declare("hist", "@daily")
	f.write("tables/hist.yaml", `source: {connection: src, table: src_hist, key: [id], cursor: updated_at}
target: {table: hist}
schedule: "@daily"
runs: {keep: 1h}
`)
	f.insert("hist", 1, 5)
	tb := f.table("hist")
	if tb.Runs.Keep != time.Hour {
		t.Fatalf("runs.keep = %v, want 1h", tb.Runs.Keep)
	}
	if err := state.New(f.tgt).Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Seven old runs, the newest of them failed.
	for i := range 7 {
		status := state.StatusOK
		if i == 6 {
			status = state.StatusFailed
		}
		synctest.Exec(t, f.tgt, `INSERT INTO syncd_runs (table_name, `+"`trigger`"+`, status, version, started_at, ended_at)
			VALUES ('hist', 'schedule', '`+status+`', 1, NOW(6) - INTERVAL 3 HOUR, NOW(6) - INTERVAL 3 HOUR)`)
	}
	if err := f.process(f.keptHandler(), tb, datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	// A long run of another table, under way, its start made old.
	tbLong := f.longRun("lengthy")
	f.write("tables/lengthy.yaml", `source: {connection: src, table: src_lengthy, key: [id], cursor: updated_at}
target: {table: lengthy}
schedule: "@daily"
batch_size: 20
runs: {keep: 1h}
`)
	synctest.Exec(t, f.tgt, "UPDATE syncd_runs SET started_at = NOW(6) - INTERVAL 5 HOUR WHERE table_name = 'lengthy'",
		// A newer run, so that the one under way is neither the newest nor the newest success.
		"INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at) VALUES ('lengthy', 'manual', 'ok', 1, NOW(6), NOW(6))")
	pr := queue.NewPruner(queue.PrunerParams{Catalog: f.catalog(), Pools: f.pools, Log: f.log, Batch: 2})
	if n := pr.Prune(context.Background()); n != 7 {
		t.Fatalf("pruned %d runs, want the 7 old runs of hist", n)
	}
	rs := f.runs("hist")
	if len(rs) != 1 || rs[0].Read != 5 {
		t.Fatalf("hist runs = %+v, want the recent one", rs)
	}
	long := f.runs("lengthy")
	if len(long) != 2 || long[0].Status != state.StatusRunning {
		t.Fatalf("lengthy runs = %+v, want the run under way kept", long)
	}
	eventually(t, "the long run done", func() (bool, string) { return f.taskGone(tbLong.Name) })
	// Now old and done, it goes; the newest run stays however old.
	synctest.Exec(t, f.tgt, "UPDATE syncd_runs SET started_at = NOW(6) - INTERVAL 4 HOUR WHERE table_name = 'lengthy' AND `trigger` = 'manual'")
	if n := pr.Prune(context.Background()); n != 1 {
		t.Fatalf("pruned %d runs, want the old run of lengthy, once done", n)
	}
	if long := f.runs("lengthy"); len(long) != 1 || long[0].Status != state.StatusOK {
		t.Fatalf("lengthy runs = %+v, want the newest kept", long)
	}
}
