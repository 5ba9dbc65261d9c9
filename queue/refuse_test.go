package queue_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
)

// archived waits for the table's task to be archived and returns it.
func (f *fixture) archived(name string) *asynq.TaskInfo {
	f.t.Helper()
	var info *asynq.TaskInfo
	eventually(f.t, "task archived", func() (bool, string) {
		var err error
		info, err = f.enq.Inspector().GetTaskInfo(f.queue, queue.TaskID(name))
		if err != nil {
			return false, err.Error()
		}
		return info.State == asynq.TaskStateArchived, info.State.String() + " " + info.LastErr
	})
	return info
}

// A target table without the declared primary key would collect a second
// row at each update: the run refuses it, says how to fix it, and is not
// retried.
func TestTargetWithoutPrimaryKeyIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 10)
	if _, err := f.tgt.Exec("ALTER TABLE items DROP PRIMARY KEY"); err != nil {
		t.Fatal(err)
	}
	f.startWorker(f.catalog())
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	info := f.archived("items")
	if info.Retried != 0 || !strings.Contains(info.LastErr, "has no primary key") || !strings.Contains(info.LastErr, "create it on (id)") {
		t.Fatalf("task retried %d times, error %q; want no retry and the fix named", info.Retried, info.LastErr)
	}
	var n int
	if err := f.tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 0 {
		t.Fatalf("target holds %d rows (%v); want none written", n, err)
	}
}

// A failure before a run can start (a column the source lacks) leaves a
// failed run in the log and the table's last error in its status; a
// broken declaration file shows too, with its problem.
func TestFailureBeforeARunIsVisible(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.write("tables/items.yaml", `source: {connection: src, table: src_items, key: [id], cursor: updated_at}
target: {table: items, columns: {id: id, name: no_such_column, qty: qty, updated_at: updated_at}}
schedule: "@daily"
`)
	f.write("tables/orders.yaml", "source: [")
	cat := f.catalog()
	f.startWorker(cat)
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	info := f.archived("items")
	if info.Retried != 0 || strings.HasSuffix(info.LastErr, asynq.SkipRetry.Error()) {
		t.Fatalf("task retried %d times, error %q; want no retry, and no word of Asynq's in the error", info.Retried, info.LastErr)
	}
	rs := f.runs("items")
	if len(rs) != 1 || rs[0].Status != state.StatusFailed || !strings.Contains(rs[0].Error, "no_such_column") {
		t.Fatalf("runs %+v: want one failed run naming the missing column", rs)
	}
	sts := queue.WithBroken(queue.NewStatusReader(f.pools, f.enq.Inspector()).Read(context.Background(), cat.Tables()), cat.Broken())
	if len(sts) != 2 || sts[0].Name != "items" || sts[1].Name != "orders" {
		t.Fatalf("statuses %+v: want items and the broken orders", sts)
	}
	if !strings.Contains(sts[0].LastError, "no_such_column") || sts[0].LastErrorAt == nil {
		t.Errorf("items: last error %q at %v; want the missing column, and when", sts[0].LastError, sts[0].LastErrorAt)
	}
	if !strings.Contains(sts[1].LastError, "orders.yaml") || sts[1].LastErrorAt == nil || sts[1].File == "" || !sts[1].Broken || sts[0].Broken {
		t.Errorf("orders: %+v; want its file's problem, and when", sts[1])
	}
}

// A where: that does not parse is refused by the source at once, and not
// retried.
func TestBadWhereIsNotRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 10)
	f.write("tables/items.yaml", `source: {connection: src, table: src_items, key: [id], cursor: updated_at, where: "qty = = 1"}
target: {table: items}
schedule: "@daily"
`)
	f.startWorker(f.catalog())
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	info := f.archived("items")
	if info.Retried != 0 || !strings.Contains(info.LastErr, "syntax error") {
		t.Fatalf("task retried %d times, error %q; want the syntax error, not retried", info.Retried, info.LastErr)
	}
}

// When a declaration is removed, the scheduler unschedules it and clears
// its archived task, which nothing else would.
func TestRemovedDeclarationClearsItsArchivedTask(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.write("tables/items.yaml", `source: {connection: src, table: src_items, key: [id], cursor: updated_at}
target: {table: items, columns: {id: id, name: no_such_column, qty: qty, updated_at: updated_at}}
schedule: "@daily"
`)
	cat := f.catalog()
	f.startWorker(cat)
	f.startScheduler(cat)
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	f.archived("items")
	if err := os.Remove(filepath.Join(f.dir, "tables", "items.yaml")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the archived task cleared", func() (bool, string) { return f.taskGone("items") })
}

// A target that refuses syncd's login (MySQL 1045) is not retried: no
// retry fixes a wrong password. The worker's log line names the table.
func TestWrongTargetPasswordIsNotRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{targetPassword: "syncd_wrong_password"})
	f.declare("items", "@daily")
	var logs logBuffer
	f.log = zerolog.New(io.MultiWriter(zerolog.NewTestWriter(t), &logs)).Level(zerolog.InfoLevel)
	f.startWorker(f.catalog())
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	info := f.archived("items")
	if info.Retried != 0 || !strings.Contains(info.LastErr, "Error 1045") || !strings.Contains(info.LastErr, "not retried") {
		t.Fatalf("task retried %d times, error %q; want error 1045, not retried", info.Retried, info.LastErr)
	}
	eventually(t, "the worker's line", func() (bool, string) {
		return strings.Contains(logs.String(), "task archived"), logs.String()
	})
	if strings.Contains(logs.String(), "Retry exhausted") {
		t.Errorf("log says Retry exhausted of a task never retried:\n%s", logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, "sync failed") && !strings.Contains(line, `"table":"items"`) {
			t.Errorf("log line %s: want the table named", line)
		}
	}
}

// logBuffer is a log sink that several goroutines write at once.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A table that fails the same way before every run (a column the source
// lacks) keeps one failed line in the run log, counting the failures,
// and shows as failing until a run goes otherwise.
func TestRepeatedFailureIsFolded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 10)
	good := f.table("items")
	f.write("tables/items.yaml", `source: {connection: src, table: src_items, key: [id], cursor: updated_at}
target: {table: items, columns: {id: id, name: no_such_column, qty: qty, updated_at: updated_at}}
schedule: "@daily"
`)
	cat := f.catalog()
	f.startWorker(cat)
	for range 3 {
		if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
			t.Fatal(err)
		}
		f.archived("items")
	}
	rs := f.runs("items")
	if len(rs) != 1 || rs[0].Status != state.StatusFailed || rs[0].Repeated != 2 || rs[0].RepeatedAt == nil || !rs[0].Permanent {
		t.Fatalf("runs %+v: want one failed run, not retried, with its 2 repeats", rs)
	}
	reader := queue.NewStatusReader(f.pools, f.enq.Inspector())
	if st := reader.Read(context.Background(), cat.Tables())[0]; !st.Failing || st.LastErrorAt == nil || !st.LastErrorAt.Equal(*rs[0].RepeatedAt) {
		t.Fatalf("status %+v: want failing since the newest repeat", st)
	}
	f.write("tables/items.yaml", "source: {connection: src, table: src_items, key: [id], cursor: updated_at}\ntarget: {table: items}\nschedule: \"@daily\"\n")
	eventually(t, "the fixed declaration loaded", func() (bool, string) {
		tb, _ := cat.Lookup("items")
		return len(tb.Target.Columns) == 0, "still the old declaration"
	})
	f.syncNow(good, datasync.TriggerManual)
	if st := reader.Read(context.Background(), cat.Tables())[0]; st.Failing || st.LastRun.Status != state.StatusOK {
		t.Fatalf("status %+v: want a table no longer failing after a run that went well", st)
	}
}
