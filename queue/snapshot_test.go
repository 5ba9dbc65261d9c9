package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
)

// startSnapshotWorker starts a worker whose handler queues snapshot parts.
func (f *fixture) startSnapshotWorker() {
	f.t.Helper()
	srv := queue.NewWorker(f.cfg, f.log, queue.WorkerOptions{RetryBase: 200 * time.Millisecond, RetryMax: time.Second})
	h := &queue.Handler{Catalog: f.catalog(), Pools: f.pools, Log: f.log, Jobs: connect.NewJobs(f.pools), Parts: f.enq}
	if err := srv.Start(queue.Mux(h)); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(srv.Shutdown)
}

// declareSnapshot declares name with n rows, pages of batch rows and
// snapshot.parts: parts.
func (f *fixture) declareSnapshot(name string, n, batch, parts int) {
	f.t.Helper()
	f.declareLarge(name, n, batch)
	f.write("tables/"+name+".yaml", fmt.Sprintf(`source: {connection: src, table: src_%s, key: [id], cursor: updated_at}
target: {table: %s}
schedule: "@daily"
batch_size: %d
snapshot: {parts: %d}
`, name, name, batch, parts))
}

// snapshotDone waits until the table's snapshot of generation gen (or
// later) is done.
func (f *fixture) snapshotDone(name string, gen int64) datasync.Snapshot {
	f.t.Helper()
	var snap datasync.Snapshot
	eventually(f.t, "snapshot done", func() (bool, string) {
		s, _, ok, err := state.New(f.tgt).ReadSnapshot(context.Background(), name)
		snap = s
		return err == nil && ok && s.Done && s.Generation >= gen, fmt.Sprintf("%+v, %v", s, err)
	})
	return snap
}

// A first load through the queue: the table's task begins a snapshot and
// queues its parts, writing nothing itself; the parts load the table, the
// last sets the cursor to the bound; tasks of the table while parts run
// write nothing; --full while parts run begins a new generation whose
// parts load the table again, the old ones fenced.
func TestSnapshotThroughTheQueue(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.declareSnapshot("big", 6000, 50, 3)
	f.startSnapshotWorker()
	tb := f.table("big")
	ctx := context.Background()
	if _, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	eventually(t, "parts under way", func() (bool, string) {
		s, _, ok, err := state.New(f.tgt).ReadSnapshot(ctx, "big")
		return ok && s.Rows > 0, fmt.Sprintf("%+v %v", s, err)
	})
	// A task of the table while the parts run writes nothing.
	if _, err := f.enq.Enqueue(ctx, tb, datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	snap := f.snapshotDone("big", 1)
	if snap.Parts != 3 || snap.PartsDone != 3 || snap.Rows != 6000 {
		t.Errorf("snapshot %+v; want 3 parts done, 6000 rows", snap)
	}
	eventually(t, "tasks gone", func() (bool, string) { return f.taskGone("big") })
	if ok, why := f.same("big"); !ok {
		t.Fatal(why)
	}
	for _, r := range f.runs("big") {
		if r.Trigger != datasync.TriggerSnapshot {
			t.Errorf("run %d has trigger %s; want only the parts' runs (snapshot)", r.ID, r.Trigger)
		}
	}
	st, _, err := state.New(f.tgt).ReadState(ctx, "big")
	if err != nil || st.Position.Key != nil || fmt.Sprint(st.Position.Cursor) != fmt.Sprint(snap.Bound) {
		t.Errorf("cursor %v, %v; want the bound %v", st.Position, err, snap.Bound)
	}

	// --full while the parts of the next snapshot run.
	synctest := f.src
	if _, err := synctest.Exec("UPDATE src_big SET name = 'full' WHERE id % 10 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := ops.New(f.pools, nil).Rewind(ctx, tb, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.enq.Enqueue(ctx, tb, datasync.TriggerFull); err != nil {
		t.Fatal(err)
	}
	eventually(t, "generation 2 under way", func() (bool, string) {
		s, _, _, err := state.New(f.tgt).ReadSnapshot(ctx, "big")
		return s.Generation == 2 && s.Rows > 0, fmt.Sprintf("%+v %v", s, err)
	})
	if err := ops.New(f.pools, nil).Rewind(ctx, tb, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "tasks gone", func() (bool, string) { return f.taskGone("big") })
	if _, err := f.enq.Enqueue(ctx, tb, datasync.TriggerFull); err != nil {
		t.Fatal(err)
	}
	snap = f.snapshotDone("big", 3)
	if snap.Generation != 3 || snap.Rows != 6000 {
		t.Errorf("snapshot %+v; want generation 3 with 6000 rows", snap)
	}
	eventually(t, "the table equal", func() (bool, string) { return f.same("big") })
}
