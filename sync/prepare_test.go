package datasync

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/syncd/syncd/tables"
)

// preparingTarget is a Preparer whose write of page N waits until page
// N+1 has been prepared: a run that prepared pages only between writes
// would never get past the first.
type preparingTarget struct {
	slowTarget
	prepared atomic.Int64  // pages prepared
	notify   chan struct{} // a page was prepared
	written  int64
}

type fakePrepared struct{ rows []Row }

func (p fakePrepared) Len() int { return len(p.rows) }

func (t *preparingTarget) Prepare(rows []Row) Prepared {
	t.prepared.Add(1)
	select {
	case t.notify <- struct{}{}:
	default:
	}
	return fakePrepared{rows}
}

func (t *preparingTarget) WritePrepared(_ context.Context, _ State, p Prepared, pos Position) (WriteStats, error) {
	deadline := time.After(30 * time.Second)
	for t.prepared.Load() < t.written+2 { // this page and the next
		select {
		case <-t.notify:
		case <-deadline:
			return WriteStats{}, errors.New("the next page was not prepared while this one was written")
		}
	}
	t.written++
	last := p.(fakePrepared).rows[p.Len()-1]
	if last[0] != pos.Key[0] {
		return WriteStats{}, errors.New("the prepared page is not the page of its position")
	}
	return WriteStats{Inserted: int64(p.Len())}, nil
}

func TestPagePreparedWhileTheOneBeforeIsWritten(t *testing.T) {
	src := &countingSource{}
	tgt := &preparingTarget{slowTarget: slowTarget{src: src}, notify: make(chan struct{}, 1)}
	tbl := tables.Table{Name: "t", Source: tables.Source{Key: []string{"id"}, Cursor: "c"}, BatchSize: 10}
	m, err := NewMapping(tbl, src.Columns())
	if err != nil {
		t.Fatal(err)
	}
	stop := func(page int) error {
		if page == 20 {
			return context.Canceled
		}
		return nil
	}
	rec, err := Run(context.Background(), Options{Table: tbl, Source: src, Target: tgt, Mapping: m, Logger: zerolog.Nop(), AfterPage: stop})
	if !errors.Is(err, context.Canceled) || tgt.written != 20 || rec.Inserted != 200 {
		t.Fatalf("run: %v after %d pages and %d rows written; want 20 pages of 10 rows, then the stop", err, tgt.written, rec.Inserted)
	}
}
