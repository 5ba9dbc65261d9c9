package queue_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// results is a queue.Observer that counts what the handler reports.
type results struct {
	mu     sync.Mutex
	counts map[string]int
	read   int64
}

func (r *results) Page(_ string, read, _, _ int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.read += read
}

func (r *results) Done(_ string, result string, _ datasync.RunRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[result]++
}

func (r *results) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.counts)
}

func (r *results) count(result string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[result]
}

// state returns the table's stored cursor and last key.
func (f *fixture) state(name string) string {
	f.t.Helper()
	var cur, key string
	if err := f.tgt.QueryRow("SELECT cursor_value, last_key FROM syncd_state WHERE table_name = ?", name).Scan(&cur, &key); err != nil {
		f.t.Fatal(err)
	}
	return cur + " " + key
}

// A paused table reads nothing from its source: with the source's
// connection cut, its scheduled tasks still succeed (as paused), no run
// starts, the cursor stays; status reads it without touching the source.
// Resume picks up every row written meanwhile, from the stored cursor.
func TestPausedTableReadsNothingAndResumeCatchesUp(t *testing.T) {
	t.Parallel()
	proxy := synctest.NewProxy(t, "127.0.0.1:5432")
	f := newFixture(t, fixtureOptions{sourceAddr: proxy.Addr()})
	f.declare("items", "@every 1s")
	f.insert("items", 1, 100)
	cat, obs := f.catalog(), &results{}
	f.startObservedWorker(cat, obs)
	f.startScheduler(cat)
	eventually(t, "the first rows synced", func() (bool, string) { return f.same("items") })
	ctx := context.Background()
	status := queue.NewStatusReader(f.pools, f.enq.Inspector())
	st := status.Read(ctx, cat.Tables())[0]
	if st.Paused || st.LagSeconds == nil || *st.LagSeconds <= 0 || st.LastRun == nil || st.LastSuccess == nil || st.NextRun == nil || len(st.Problems) > 0 {
		t.Fatalf("status before the pause: %+v; want unpaused, a lag, a last run and success, a next run", st)
	}

	if err := ops.New(f.pools, nil).Pause(ctx, f.table("items")); err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	// A run under way when the pause came has ended once a task has
	// ended as paused: a table's tasks run one at a time.
	eventually(t, "a task ended as paused", func() (bool, string) { return obs.count(queue.ResultPaused) > 0, "none yet" })
	runs, cursor, failed, paused := len(f.runs("items")), f.state("items"), obs.count(queue.ResultFailed), obs.count(queue.ResultPaused)
	f.insert("items", 101, 200)
	eventually(t, "three more scheduled tasks ended as paused", func() (bool, string) {
		return obs.count(queue.ResultPaused) >= paused+3, fmt.Sprintf("%d paused", obs.count(queue.ResultPaused)-paused)
	})
	if n := len(f.runs("items")); n != runs {
		t.Errorf("%d runs started while the table was paused, want none", n-runs)
	}
	if c := f.state("items"); c != cursor {
		t.Errorf("cursor moved while paused: %s, was %s", c, cursor)
	}
	if n := obs.count(queue.ResultFailed); n != failed {
		t.Errorf("%d tasks failed while paused with the source cut, want none", n-failed)
	}
	st = status.Read(ctx, cat.Tables())[0]
	// The lag comes from the run log and goes on growing while paused;
	// the row age would need the source, which is left alone.
	if !st.Paused || st.LagSeconds == nil || st.RowAgeSeconds != nil || len(st.Problems) > 0 || st.Cursor == "" {
		t.Fatalf("status while paused with the source cut: %+v; want paused, a lag, no row age, no problem (the source is not read)", st)
	}

	proxy.Restore()
	if err := unpause(ctx, f, f.table("items")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rows written while paused synced", func() (bool, string) { return f.same("items") })
	after := f.runs("items")[runs:]
	if len(after) == 0 || after[0].CursorBefore != cursor {
		t.Fatalf("first run after resume: %+v; want it to start at the paused cursor %s", after, cursor)
	}
}

// Pausing a table mid-run stops the run at its next page: it ends as
// paused, not failed, with the cursor matching the rows written; resume
// continues from there and no page is written twice.
func TestPauseStopsARunningSyncAtAPageBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declareLarge("items", 2000, 20)
	release := f.holdRow("items", holdAt)
	obs := &results{}
	f.startObservedWorker(f.catalog(), obs)
	ctx := context.Background()
	if _, err := f.enq.Enqueue(ctx, f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	f.heldPages("items", 20)
	// While it runs, status shows the task, its progress and, for this
	// initial load, the rows it reads in all.
	st := queue.NewStatusReader(f.pools, f.enq.Inspector()).Read(ctx, []tables.Table{f.table("items")})[0]
	if st.Task != "active" || st.Progress == nil || st.Progress.Rows == 0 || st.Total != 2000 {
		t.Fatalf("status of the running load: task %q, progress %+v, total %d; want active, rows so far, 2000", st.Task, st.Progress, st.Total)
	}
	if err := ops.New(f.pools, nil).Pause(ctx, f.table("items")); err != nil {
		t.Fatal(err)
	}
	// The held page goes on once released, and finds the table paused.
	release()
	eventually(t, "task done", func() (bool, string) { return f.taskGone("items") })
	if ok, _ := f.same("items"); ok {
		t.Fatal("the run finished although paused mid-way")
	}
	rs := f.runs("items")
	last := rs[len(rs)-1]
	if last.Status != state.StatusPaused || obs.count(queue.ResultPaused) != 1 || obs.count(queue.ResultFailed) != 0 {
		t.Fatalf("run %+v, results %v: want the run paused, no task failed", last, obs)
	}
	checkPageBoundary(t, f, "items", last)

	if err := unpause(ctx, f, f.table("items")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.enq.Enqueue(ctx, f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resumed run done", func() (bool, string) {
		if ok, why := f.taskGone("items"); !ok {
			return false, why
		}
		return f.same("items")
	})
	checkRowsReadOnce(t, f, "items", 2000)
	if rs := f.runs("items"); rs[len(rs)-1].CursorBefore != last.CursorAfter {
		t.Fatalf("resumed run started at %s, want the paused run's end %s", rs[len(rs)-1].CursorBefore, last.CursorAfter)
	}
}

// A cancel through Asynq (syncd cancel, /monitor's cancel button) stops the
// run at a page boundary too; the queue retries the task, which
// completes the table without writing any page twice.
func TestCancelStopsAtAPageBoundary(t *testing.T) {
	t.Parallel()
	// Asynq delivers a cancel to every worker on the Redis by task id,
	// whatever the queue: a table name of its own keeps this cancel from
	// stopping the other tests' "items".
	f := newFixture(t, fixtureOptions{})
	f.declareLarge("cancelled", 2000, 20)
	// Held at a locked row, the run is cancelled inside a page's writes,
	// never as a page commits (that race is TestCommitAfterCancelReportsTheCancel's).
	release := f.holdRow("cancelled", holdAt)
	obs := &results{}
	f.startObservedWorker(f.catalog(), obs)
	if _, err := f.enq.Enqueue(context.Background(), f.table("cancelled"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	f.heldPages("cancelled", 20)
	if running, err := f.enq.Cancel(f.table("cancelled")); err != nil || !running {
		t.Fatalf("cancel: running=%v, %v; want the running sync cancelled", running, err)
	}
	eventually(t, "the cancelled run recorded", func() (bool, string) {
		rs := f.runs("cancelled")
		return rs[0].Status != state.StatusRunning, "first run still running"
	})
	first := f.runs("cancelled")[0]
	if first.Status != state.StatusFailed || !strings.Contains(first.Error, "context canceled") {
		t.Fatalf("cancelled run %+v: want failed with context canceled", first)
	}
	// The handler reports after the run has recorded its end.
	eventually(t, "the handler reports the cancel", func() (bool, string) {
		return obs.count(queue.ResultCancelled) == 1, obs.String()
	})
	// Its cursor covers exactly the rows it wrote: it stopped between pages.
	if key := lastKey(t, first.CursorAfter); key != first.Read || key != holdAt-20 {
		t.Fatalf("cancelled run read %d rows but its cursor ends at row %d; want both at %d, the page before the held row", first.Read, key, holdAt-20)
	}
	release()
	eventually(t, "the retried task done", func() (bool, string) {
		if ok, why := f.taskGone("cancelled"); !ok {
			return false, why
		}
		return f.same("cancelled")
	})
	checkRowsReadOnce(t, f, "cancelled", 2000)
}

// checkPageBoundary checks that the target holds exactly the rows up to
// the run's final cursor: rows 1..K for a cursor ending at row K.
func checkPageBoundary(t *testing.T, f *fixture, name string, r state.RunRow) {
	t.Helper()
	k := lastKey(t, r.CursorAfter)
	var n, maxID int64
	// A row a test put there to hold the run (holdRow) is not the run's.
	if err := f.tgt.QueryRow("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM "+name+" WHERE name <> 'held'").Scan(&n, &maxID); err != nil {
		t.Fatal(err)
	}
	if n != k || maxID != k || r.Read != k {
		t.Fatalf("target has %d rows up to id %d, the run read %d; its cursor ends at row %d", n, maxID, r.Read, k)
	}
}

// checkRowsReadOnce checks that the table's runs read want rows in all:
// no page read (and written) twice, none skipped.
func checkRowsReadOnce(t *testing.T, f *fixture, name string, want int64) {
	t.Helper()
	var read int64
	rs := f.runs(name)
	for _, r := range rs {
		read += r.Read
	}
	if read != want {
		t.Fatalf("runs %+v read %d rows in all, want exactly %d", rs, read, want)
	}
}

// lastKey returns K of a run log cursor `t:... ["i:K"]`.
func lastKey(t *testing.T, cursor string) int64 {
	t.Helper()
	var k int64
	if _, err := fmt.Sscanf(cursor[strings.Index(cursor, `["i:`):], `["i:%d"]`, &k); err != nil {
		t.Fatalf("cursor %q: %v", cursor, err)
	}
	return k
}

// unpause lifts t's pause and nothing else (ops.Resume also queues a
// sync, which these tests do themselves or leave to the schedule).
func unpause(ctx context.Context, f *fixture, t tables.Table) error {
	st, err := connect.Store(ctx, f.pools, t)
	if err != nil {
		return err
	}
	return st.SetPaused(ctx, t.Name, false)
}
