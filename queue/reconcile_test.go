package queue_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// declareReconciled writes name's declaration with a sync schedule, a
// reconcile schedule and a batch size.
func (f *fixture) declareReconciled(name, schedule, reconcile string, batch int) {
	f.t.Helper()
	f.write("tables/"+name+".yaml", fmt.Sprintf(`source: {connection: src, table: src_%s, key: [id], cursor: updated_at}
target: {table: %s}
schedule: %q
reconcile: %q
batch_size: %d
`, name, name, schedule, reconcile, batch))
}

// drift changes the source of name where a cursor cannot see it: rows
// deleted, rows changed with their updated_at set back; and puts rows in
// the target that never were in the source.
func (f *fixture) drift(name string) {
	f.t.Helper()
	synctest.Exec(f.t, f.src,
		"DELETE FROM src_"+name+" WHERE id % 50 = 0",
		"UPDATE src_"+name+" SET name = 'changed behind', updated_at = updated_at - interval '1 hour' WHERE id % 50 = 7")
	synctest.Exec(f.t, f.tgt, "INSERT INTO "+name+" VALUES (-1, 'never in the source', 1, NOW()), (-2, 'nor this', 2, NOW())")
}

// reconcileRuns returns name's runs with trigger reconcile, oldest first.
func (f *fixture) reconcileRuns(name string) []state.RunRow {
	var out []state.RunRow
	for _, r := range f.runs(name) {
		if r.Trigger == datasync.TriggerReconcile {
			out = append(out, r)
		}
	}
	return out
}

func (f *fixture) rowsDeleted(runID int64) int64 {
	f.t.Helper()
	var n int64
	if err := f.tgt.QueryRow("SELECT rows_deleted FROM syncd_runs WHERE id = ?", runID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// TestScheduledReconcile: a table declaring reconcile: "@every 1s" is
// reconciled by the scheduler and a worker with no manual step: rows
// deleted in the source and rows that never were in it leave the target,
// rows changed behind the cursor are written again, and the run log holds
// an ok reconcile with the rows it deleted.
func TestScheduledReconcile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("sched", "@daily")
	f.insert("sched", 1, 1000)
	f.declareReconciled("sched", "@daily", "@every 1s", 100)
	tb := f.table("sched")
	cat := f.catalog()
	f.startWorker(cat)
	if r := f.syncNow(tb, datasync.TriggerManual); r.Status != state.StatusOK || r.Inserted != 1000 {
		t.Fatalf("first sync: %+v", r)
	}
	f.drift("sched")
	f.startScheduler(cat)
	eventually(t, "the scheduled reconcile repaired the target", f.sameFunc("sched"))
	// The target is equal once the repairs commit, a moment before the
	// reconcile records its end: wait for that record too.
	eventually(t, "an ok reconcile in the run log", func() (bool, string) {
		for _, r := range f.reconcileRuns("sched") {
			if r.Status == state.StatusOK {
				return true, ""
			}
		}
		return false, fmt.Sprintf("reconciles: %+v", f.reconcileRuns("sched"))
	})
	rs := f.reconcileRuns("sched")
	if len(rs) == 0 {
		t.Fatal("no reconcile in the run log")
	}
	var deleted int64
	for _, r := range rs {
		if r.Status == state.StatusOK {
			deleted += f.rowsDeleted(r.ID)
		}
	}
	if deleted != 20+2 {
		t.Errorf("ok reconciles deleted %d rows in all, want 22 (20 gone from the source, 2 never in it)", deleted)
	}
	info, err := f.enq.Inspector().GetTaskInfo(f.queue, queue.ReconcileTaskID("sched"))
	if err == nil && info.Type != queue.TypeReconcileTable {
		t.Errorf("reconcile task of type %s", info.Type)
	}
}

func (f *fixture) sameFunc(name string) func() (bool, string) {
	return func() (bool, string) { return f.same(name) }
}

// TestSyncAndReconcileTogether: a sync and a reconcile of one table on
// the real queue, with two worker slots, the second enqueued while the
// first runs (each way round), never run at the same time: the one that
// finds the other running waits and is retried; both end ok in the run
// log, and the table ends equal to its source (drift repaired by the
// reconcile, new rows brought by the sync).
func TestSyncAndReconcileTogether(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("together", "@daily")
	f.insert("together", 1, 4000)
	f.declareReconciled("together", "@daily", "@daily", 20)
	tb := f.table("together")
	f.startWorker(f.catalog())
	if r := f.syncNow(tb, datasync.TriggerManual); r.Status != state.StatusOK {
		t.Fatalf("first sync: %+v", r)
	}
	ctx := context.Background()
	syncTask := func() error { _, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual); return err }
	reconcileTask := func() error { _, err := f.enq.EnqueueReconcile(ctx, tb, datasync.TriggerManual); return err }
	for i, order := range []struct {
		name          string
		first, second func() error
		firstID       string
	}{
		{"reconcile first", reconcileTask, syncTask, queue.ReconcileTaskID("together")},
		{"sync first", syncTask, reconcileTask, queue.TaskID("together")},
	} {
		synctest.Exec(t, f.src, fmt.Sprintf("DELETE FROM src_together WHERE id %% 10 = %d", i),
			fmt.Sprintf("UPDATE src_together SET name = 'changed behind', updated_at = updated_at - interval '1 hour' WHERE id %% 10 = %d", i+5))
		f.insert("together", 4001+i*4000, 8000+i*4000) // after the cursor: the sync's
		before := len(f.runs("together"))
		must(t, order.first())
		eventually(t, order.name+": running", func() (bool, string) {
			info, err := f.enq.Inspector().GetTaskInfo(f.queue, order.firstID)
			return err == nil && info.State == asynq.TaskStateActive, "not active"
		})
		must(t, order.second())
		eventually(t, order.name+": both tasks done", func() (bool, string) {
			s, why := f.gone(queue.TaskID("together"))
			r, whyR := f.gone(queue.ReconcileTaskID("together"))
			return s && r, why + whyR
		})
		runs := f.runs("together")[before:]
		if len(runs) != 2 || runs[0].Status != state.StatusOK || runs[1].Status != state.StatusOK || runs[0].Trigger == runs[1].Trigger {
			t.Fatalf("%s: runs %+v; want one ok sync and one ok reconcile", order.name, runs)
		}
		if runs[0].Ended == nil || runs[1].Started.Before(*runs[0].Ended) {
			t.Errorf("%s: the sync and the reconcile overlapped: %v-%v and %v-", order.name, runs[0].Started, runs[0].Ended, runs[1].Started)
		}
		if same, why := f.same("together"); !same {
			t.Fatalf("%s: %s", order.name, why)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// gone reports whether task id has left the fixture's queue.
func (f *fixture) gone(id string) (bool, string) {
	info, err := f.enq.Inspector().GetTaskInfo(f.queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) {
		return true, ""
	}
	if err != nil {
		return false, err.Error()
	}
	return false, " " + id + " is " + info.State.String() + " " + info.LastErr
}
