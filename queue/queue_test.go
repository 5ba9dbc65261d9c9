package queue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// A table on "@every 1s" receives source changes with no manual step.
func TestScheduledSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@every 1s")
	f.insert("items", 1, 500)
	cat := f.catalog()
	f.startScheduler(cat)
	f.startWorker(cat)
	eventually(t, "first load", func() (bool, string) { return f.same("items") })

	synctest.Exec(t, f.src,
		`UPDATE src_items SET qty = qty + 100, updated_at = clock_timestamp() WHERE id % 10 = 0`,
		`INSERT INTO src_items SELECT i, 'late ' || i, 1, clock_timestamp() FROM generate_series(501, 520) i`)
	eventually(t, "changes after the first load", func() (bool, string) { return f.same("items") })

	for _, r := range f.runs("items") {
		if r.Trigger != datasync.TriggerSchedule {
			t.Errorf("run %d trigger %q, want schedule (no manual step)", r.ID, r.Trigger)
		}
		if r.Status == state.StatusFailed {
			t.Errorf("run %d failed: %s", r.ID, r.Error)
		}
	}
}

// Enqueueing a table whose sync is already queued makes one run, not two.
func TestEnqueueWhileQueuedRunsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 300)
	ctx := context.Background()
	tb := f.table("items")

	first, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual)
	if err != nil || !first.Queued {
		t.Fatalf("first enqueue: %+v, %v; want queued", first, err)
	}
	second, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual)
	if err != nil {
		t.Fatalf("second enqueue: %v; want \"already queued\", not an error", err)
	}
	if second.Queued || second.Already != "pending" || second.String() != "already queued (pending)" {
		t.Fatalf("second enqueue: %+v (%s); want already queued (pending)", second, second)
	}
	f.startWorker(f.catalog())
	eventually(t, "task done", func() (bool, string) { return f.taskGone("items") })
	eventually(t, "rows", func() (bool, string) { return f.same("items") })
	if rs := f.runs("items"); len(rs) != 1 || rs[0].Read != 300 || rs[0].Status != state.StatusOK {
		t.Fatalf("runs = %+v; want one ok run of 300 rows", rs)
	}
}

// --from re-reads the rows from the rewind point on; --full re-reads all.
func TestRewind(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 500)
	ctx := context.Background()
	tb := f.table("items")
	f.startWorker(f.catalog())
	syncNow := func(trigger string) state.RunRow { return f.syncNow(tb, trigger) }
	if r := syncNow(datasync.TriggerManual); r.Read != 500 {
		t.Fatalf("first load read %d rows, want 500", r.Read)
	}
	if r := syncNow(datasync.TriggerManual); r.Read != 0 {
		t.Fatalf("second run read %d rows, want 0 (nothing changed)", r.Read)
	}

	// Row i has updated_at 2026-01-01 + i s: from row 300 on is 201 rows.
	from, err := ops.ParseFrom("2026-01-01T00:05:00") // = row 300
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.New(f.pools, nil).Rewind(ctx, tb, from); err != nil {
		t.Fatal(err)
	}
	r := syncNow(datasync.TriggerRewind)
	if r.Read != 201 || r.Trigger != datasync.TriggerRewind || r.Unchanged != 201 {
		t.Fatalf("run after --from read %d rows (%d unchanged), trigger %s; want 201 rows of ids 300..500, all unchanged", r.Read, r.Unchanged, r.Trigger)
	}

	if err := ops.New(f.pools, nil).Rewind(ctx, tb, nil); err != nil {
		t.Fatal(err)
	}
	if r := syncNow(datasync.TriggerFull); r.Read != 500 || r.CursorBefore != "" {
		t.Fatalf("run after --full read %d rows from %q; want 500 from the start", r.Read, r.CursorBefore)
	}
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}

	// A rewind point the cursor column cannot take changes nothing.
	before, ok, err := state.New(f.tgt).ReadState(ctx, "items")
	if err != nil || !ok || before.Position.IsZero() {
		t.Fatalf("state before a refused rewind: %+v (found %v, %v); want a position", before, ok, err)
	}
	if err := ops.New(f.pools, nil).Rewind(ctx, tb, int64(42)); err == nil {
		t.Fatal("rewind of a timestamp cursor to an integer: no error")
	}
	after, ok, err := state.New(f.tgt).ReadState(ctx, "items")
	if err != nil || !ok || after.Position.String() != before.Position.String() {
		t.Fatalf("a refused rewind moved the position from %s to %s (found %v, %v)", before.Position, after.Position, ok, err)
	}
}

// A target connection cut mid-run fails the run; the retry completes the
// table exactly, and no run is left looking as if it were still running.
func TestTransientTargetFailureIsRetried(t *testing.T) {
	t.Parallel()
	proxy := synctest.NewProxy(t, "127.0.0.1:3306")
	f := newFixture(t, fixtureOptions{targetAddr: proxy.Addr()})
	f.declareLarge("items", 20000, 20)
	f.startWorker(f.catalog())
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the run under way", func() (bool, string) { return f.pages("items") >= 5, "pages < 5" })
	proxy.Cut()
	time.Sleep(time.Second) // the target stays unreachable for a while
	proxy.Restore()
	eventually(t, "task done", func() (bool, string) { return f.taskGone("items") })
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
	rs := f.runs("items")
	failed := 0
	for _, r := range rs {
		switch r.Status {
		case state.StatusFailed:
			failed++
		case state.StatusRunning:
			t.Errorf("run %d still reads running after the table was completed", r.ID)
		}
	}
	if failed == 0 || rs[len(rs)-1].Status != state.StatusOK {
		t.Fatalf("runs %+v: want a failed run, then the last one ok", rs)
	}
}

// Shutting a worker down mid-run hands the task back; another worker
// completes the table, and every row was written once: the rows of the
// runs add up to the table.
func TestGracefulShutdownMidRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{shutdownTimeout: 300 * time.Millisecond})
	f.declareLarge("items", 2000, 20)
	release := f.holdRow("items", holdAt)
	cat := f.catalog()
	first := f.startWorker(cat)
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	f.heldPages("items", 20)
	first.Shutdown()
	if ok, _ := f.taskGone("items"); ok {
		t.Fatal("the task left the queue at the shutdown; want it handed back")
	}
	var n int
	if err := f.tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != holdAt-20+1 {
		t.Fatalf("after shutdown the target has %d rows (%v); want the %d pages before the held row, and it", n, err, holdAt/20-1)
	}
	release()
	f.startWorker(cat)
	eventually(t, "task done", func() (bool, string) { return f.taskGone("items") })
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
	rs := f.runs("items")
	var read int64
	for _, r := range rs {
		read += r.Read
	}
	if len(rs) < 2 || read != 2000 {
		t.Fatalf("runs %+v read %d rows in all; want at least two runs adding up to exactly 2000 (no page written twice)", rs, read)
	}
}

// Asynq can run two handlers of one task at once (a lease that expired);
// the fencing version keeps the table exact.
func TestTwoHandlersOfOneTask(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declareLarge("items", 5000, 50)
	cat := f.catalog()
	task, _, err := queue.NewTask(f.table("items"), datasync.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &queue.Handler{Catalog: cat, Pools: f.pools, Log: f.log}
			errs[i] = h.ProcessTask(context.Background(), task)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("handler %d: %v", i, err)
		}
	}
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
	var cur string
	if err := f.tgt.QueryRow("SELECT cursor_value FROM syncd_state WHERE table_name = 'items'").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	if want := "t:2026-01-01T01:23:20Z"; cur != want { // row 5000
		t.Fatalf("cursor %s, want %s (the last row)", cur, want)
	}
}

// An archived task (a declaration error) would block every later enqueue
// of the table; enqueue clears it once the declaration is fixed.
func TestArchivedTaskDoesNotBlockTheTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 100)
	f.write("tables/items.yaml", `source: {connection: src, table: src_items, key: [id], cursor: updated_at}
target: {table: items, columns: {id: id, name: no_such_column, qty: qty, updated_at: updated_at}}
schedule: "@daily"
`)
	cat := f.catalog()
	f.startWorker(cat)
	ctx := context.Background()
	if _, err := f.enq.Enqueue(ctx, f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	eventually(t, "task archived", func() (bool, string) {
		info, err := f.enq.Inspector().GetTaskInfo(f.queue, queue.TaskID("items"))
		if err != nil {
			return false, err.Error()
		}
		return info.State == asynq.TaskStateArchived, info.State.String()
	})
	f.batch("items", 100)
	out, err := f.enq.Enqueue(ctx, f.table("items"), datasync.TriggerManual)
	if err != nil || !out.Queued || !out.ClearedArchived {
		t.Fatalf("enqueue after the fix: %+v, %v; want queued, archived task cleared", out, err)
	}
	eventually(t, "task done", func() (bool, string) { return f.taskGone("items") })
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
}

// Editing tables_dir while the scheduler runs: a new file is scheduled; a
// broken one is reported and neither stops the others nor loses its own
// schedule.
func TestSchedulerFollowsTheDeclarations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@every 1s")
	f.insert("items", 1, 50)
	cat := f.catalog()
	f.startScheduler(cat)
	f.startWorker(cat)
	eventually(t, "items synced", func() (bool, string) { return f.same("items") })

	f.declare("parts", "@every 1s") // a new file while running
	f.insert("parts", 1, 40)
	eventually(t, "the new table synced", func() (bool, string) { return f.same("parts") })

	f.write("tables/items.yaml", "source: {connection: src\n  broken") // a typo
	f.write("tables/orders.yaml", "source: [")                         // broken from the start
	eventually(t, "the problems reported", func() (bool, string) {
		p := cat.Problems()
		return len(p) == 2, fmt.Sprint(p)
	})
	synctest.Exec(t, f.src,
		`INSERT INTO src_items SELECT i, 'more ' || i, 2, clock_timestamp() FROM generate_series(51, 60) i`,
		`INSERT INTO src_parts SELECT i, 'more ' || i, 2, clock_timestamp() FROM generate_series(41, 50) i`)
	eventually(t, "items still synced on its last good declaration", func() (bool, string) { return f.same("items") })
	eventually(t, "parts still synced", func() (bool, string) { return f.same("parts") })

	if err := os.Remove(filepath.Join(f.dir, "tables", "parts.yaml")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed table gone", func() (bool, string) {
		_, ok := cat.Lookup("parts")
		return !ok, "parts still declared"
	})
}

func TestParseFrom(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]any{
		"42":                          int64(42),
		"18446744073709551615":        uint64(18446744073709551615),
		"2026-01-02":                  time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"2026-01-02T03:04:05":         time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"2026-01-02 03:04:05.1234567": time.Date(2026, 1, 2, 3, 4, 5, 123456700, time.UTC),
		"2026-01-02T03:04:05+08:00":   time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 8*3600)),
	} {
		got, err := ops.ParseFrom(in)
		if err != nil {
			t.Errorf("ParseFrom(%q): %v", in, err)
			continue
		}
		if gt, ok := got.(time.Time); ok {
			if wt := want.(time.Time); !gt.Equal(wt) || gt.Format(time.RFC3339Nano) != wt.Format(time.RFC3339Nano) {
				t.Errorf("ParseFrom(%q) = %v, want %v", in, gt, wt)
			}
			continue
		}
		if got != want {
			t.Errorf("ParseFrom(%q) = %#v, want %#v", in, got, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01", "1.5"} {
		if _, err := ops.ParseFrom(bad); err == nil {
			t.Errorf("ParseFrom(%q): no error", bad)
		}
	}
}

func TestRetryDelayGrowsWithJitterUpToTheCap(t *testing.T) {
	t.Parallel()
	d := queue.RetryDelay(time.Second, 10*time.Second)
	for n, hi := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			got := d(n, errors.New("x"), nil)
			if got < hi/2 || got > hi {
				t.Fatalf("attempt %d waits %v, want between %v and %v", n, got, hi/2, hi)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d always waits the same; want jitter", n)
		}
	}
}

// A row the target refuses is kept in syncd_rejects while the rest of
// the table syncs; once the target can take it (the column widened), the
// next run writes it and forgets the reject, and a rejected row deleted
// from the source is forgotten too.
func TestRejectedRowsAreKeptAndRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 300)
	synctest.Exec(t, f.tgt, "ALTER TABLE items MODIFY name VARCHAR(8) NOT NULL")
	synctest.Exec(t, f.src, `UPDATE src_items SET name = 'a name far too long for eight' WHERE id IN (10, 150, 299)`)
	tb := f.table("items")
	f.startWorker(f.catalog())
	syncNow := func() state.RunRow { return f.syncNow(tb, datasync.TriggerManual) }
	rejects := func() int {
		var n int
		if err := f.tgt.QueryRow("SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r := syncNow()
	if r.Status != state.StatusOK || r.Inserted != 297 || r.Rejected != 3 || rejects() != 3 {
		t.Fatalf("first run %+v with %d rejects; want ok, 297 inserted, 3 rejected", r, rejects())
	}
	if ok, _ := f.same("items"); ok {
		t.Fatal("the target equals the source although 3 rows were refused")
	}

	synctest.Exec(t, f.tgt, "ALTER TABLE items MODIFY name VARCHAR(100) NOT NULL")
	synctest.Exec(t, f.src, "DELETE FROM src_items WHERE id = 299")
	synctest.Exec(t, f.tgt, "DELETE FROM items WHERE id = 299") // what a delete-aware sync would do
	r = syncNow()
	if r.Status != state.StatusOK || r.Inserted != 2 || r.Rejected != 0 || rejects() != 0 {
		t.Fatalf("run after widening %+v with %d rejects; want the 2 rows written and no rejects left", r, rejects())
	}
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
}

// Redis losing a running task (flushed, restarted empty) while its sync
// goes on: the sync's progress writes leave a task entry without a state,
// which Asynq counts as the table's task forever. Enqueue repairs it.
func TestStatelessTaskHashIsRepaired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	// The run is held at a locked row while Redis loses its task, and
	// goes on (writing progress) once the lock is released.
	ctx := context.Background()
	f.declareLarge("items", 2000, 20)
	release := f.holdRow("items", holdAt)
	f.startWorker(f.catalog())
	tb := f.table("items")
	if _, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	f.heldPages("items", 20)
	rdb := redis.NewClient(&redis.Options{Addr: f.cfg.Redis.Addr, DB: f.cfg.Redis.DB})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "asynq:{"+f.queue+"}*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("queue keys %v, %v", keys, err)
	}
	if err := rdb.Del(ctx, keys...).Err(); err != nil { // what FLUSHALL does to the queue
		t.Fatal(err)
	}
	release()
	eventually(t, "the run finished", func() (bool, string) {
		rs := f.runs("items")
		return len(rs) == 1 && rs[0].Status == state.StatusOK, fmt.Sprint(rs)
	})
	n, err := rdb.Exists(ctx, "asynq:{"+f.queue+"}:t:"+queue.TaskID("items")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatal("the run wrote no progress after the queue was lost: no task entry without a state to repair")
	}
	out, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual)
	if err != nil || !out.Queued {
		t.Fatalf("enqueue after Redis lost the running task: %+v, %v; want queued", out, err)
	}
	eventually(t, "the second run", func() (bool, string) {
		rs := f.runs("items")
		return len(rs) == 2 && rs[1].Status == state.StatusOK, fmt.Sprint(rs)
	})
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
}

// A rewind while a sync runs: the running sync is fenced at its next page
// and stops without moving the cursor past the rewind; the next run reads
// everything again.
func TestRewindDuringARun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	ctx, tb := context.Background(), f.longRun("items")
	if err := ops.New(f.pools, nil).Rewind(ctx, tb, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fenced run stopped", func() (bool, string) { return f.taskGone("items") })
	first := f.runs("items")[0]
	if first.Status != state.StatusFailed || !strings.Contains(first.Error, "superseded") || first.Read >= 20000 {
		t.Fatalf("the run during the rewind: %+v; want it stopped as superseded before the end", first)
	}
	if st, ok, err := state.New(f.tgt).ReadState(ctx, "items"); err != nil || !ok || !st.Position.IsZero() {
		t.Fatalf("position %s after the rewind to the start (found %v, %v): the fenced run moved it", st.Position, ok, err)
	}
	r := f.syncNow(tb, datasync.TriggerFull)
	if r.Read != 20000 || r.CursorBefore != "" || r.Status != state.StatusOK {
		t.Fatalf("run after the rewind: %+v; want all 20000 rows from the start", r)
	}
	if ok, why := f.same("items"); !ok {
		t.Fatal(why)
	}
}
