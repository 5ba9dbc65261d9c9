package connect_test

import (
	"context"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// movedAfterPeek is the real target, whose state something else moves
// (here a rewind) just after a quiet run has peeked at it.
type movedAfterPeek struct {
	*mysqltarget.Target
	move func()
}

func (m movedAfterPeek) Peek(ctx context.Context, table string) (datasync.Peek, bool, error) {
	p, ok, err := m.Target.Peek(ctx, table)
	m.move()
	return p, ok, err
}

// A kept-setup run reads its first page before it claims the table. If
// the state moved in between (a rewind to the start, with the target
// emptied), that page is from the old position: the run must read again
// from the claimed one, or the rows between the two are never written
// while the cursor passes them.
func TestPrefetchedPageIsDroppedWhenTheStateMoved(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverPostgres, 3000)
	w.sync(t)
	synctest.Exec(t, w.src, "UPDATE items SET updated_at = timestamp '2026-02-01' + id * interval '1 ms' WHERE id <= 10")
	ctx := context.Background()
	job, err := connect.Open(ctx, w.pools, w.table)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	tgt := movedAfterPeek{job.Target, func() {
		if err := state.New(w.tgt).Rewind(ctx, "items", datasync.Position{}); err != nil {
			t.Error(err)
		}
		synctest.Exec(t, w.tgt, "DELETE FROM items")
	}}
	rec, err := datasync.Run(ctx, datasync.Options{Table: job.Table, Source: job.Source, Target: tgt, Mapping: job.Mapping,
		Trigger: datasync.TriggerSchedule, Cached: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := w.tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3000 || rec.Read != 3000 {
		t.Fatalf("after a rewind between the peek and the claim: %d rows in the target, %d read; want all 3000 read again", n, rec.Read)
	}
	if rep := w.verify(t, 4); !rep.Equal {
		t.Fatalf("verify: %+v", rep)
	}
}
