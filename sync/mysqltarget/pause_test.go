package mysqltarget_test

import (
	"context"
	"errors"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// Pausing a table mid-run stops the run at its next page with ErrPaused
// (not ErrFenced), writes nothing of that page, and leaves the position
// where the last committed page put it; resuming keeps that position, and
// the next claim sees the table unpaused.
func TestPauseFencesTheRunningRun(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	tgt, count := newTarget(t, dsn)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	if paused, err := state.New(db).IsPaused(ctx, "t"); err != nil || paused {
		t.Fatalf("a table never synced: paused=%v, %v; want false", paused, err)
	}
	st, err := tgt.Claim(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	first := datasync.Position{Cursor: int64(1), Key: []any{int64(1)}}
	if _, err := tgt.WritePage(ctx, st, []datasync.Row{{int64(1), "a"}}, first); err != nil {
		t.Fatal(err)
	}
	if err := state.New(db).SetPaused(ctx, "t", true); err != nil {
		t.Fatal(err)
	}
	_, err = tgt.WritePage(ctx, st, []datasync.Row{{int64(2), "b"}}, datasync.Position{Cursor: int64(2), Key: []any{int64(2)}})
	if !errors.Is(err, datasync.ErrPaused) || errors.Is(err, datasync.ErrFenced) {
		t.Fatalf("page after pause: err = %v, want ErrPaused", err)
	}
	if n := count("SELECT COUNT(*) FROM t"); n != 1 {
		t.Fatalf("target has %d rows, want the 1 of the page before the pause", n)
	}
	if paused, err := state.New(db).IsPaused(ctx, "t"); err != nil || !paused {
		t.Fatalf("after pause: paused=%v, %v; want true", paused, err)
	}
	if st, err := tgt.Claim(ctx, "t"); err != nil || !st.Paused {
		t.Fatalf("claim of a paused table: %+v, %v; want Paused", st, err)
	}
	if err := state.New(db).SetPaused(ctx, "t", false); err != nil {
		t.Fatal(err)
	}
	st, ok, err := state.New(db).ReadState(ctx, "t")
	if err != nil || !ok || st.Paused || st.Position.Cursor != int64(1) {
		t.Fatalf("after resume: %+v ok=%v %v; want unpaused at cursor 1", st, ok, err)
	}
}

// A whole run of a paused table: ErrPaused before any read, no line in
// the run log.
func TestRunOfPausedTableReadsNothing(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	tgt, count := newTarget(t, dsn)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	if err := state.New(db).SetPaused(ctx, "t", true); err != nil {
		t.Fatal(err)
	}
	rec, err := datasync.Run(ctx, datasync.Options{Table: pausedTable, Source: failingSource{t}, Target: tgt})
	if !datasync.IsPaused(err) || !rec.Paused {
		t.Fatalf("run of a paused table: %+v, %v; want ErrPaused", rec, err)
	}
	if n := count("SELECT COUNT(*) FROM syncd_runs"); n != 0 {
		t.Fatalf("syncd_runs has %d rows, want none for a paused table", n)
	}
}

var pausedTable = tables.Table{Name: "t", Source: tables.Source{Key: []string{"id"}, Cursor: "id"}, BatchSize: 10}

// failingSource fails the test on any read: a paused table must not read.
type failingSource struct{ t *testing.T }

func (s failingSource) Columns() []datasync.Column {
	return []datasync.Column{{Name: "id"}, {Name: "v"}}
}
func (s failingSource) Close() error { return nil }
func (s failingSource) UpperBound(context.Context, time.Duration) (any, error) {
	s.t.Error("UpperBound called on the source of a paused table")
	return nil, nil
}
func (s failingSource) ReadPage(context.Context, datasync.Position, any, int) ([]datasync.Row, error) {
	s.t.Error("ReadPage called on the source of a paused table")
	return nil, nil
}
