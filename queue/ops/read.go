package ops

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Runs returns the runs of t that f selects (f.Table is set to t's),
// newest first; none before the state tables exist.
func (s *Service) Runs(ctx context.Context, t tables.Table, f state.RunFilter) ([]state.RunRow, error) {
	st, err := s.store(ctx, t)
	if err != nil {
		return nil, err
	}
	f.Table = t.Name
	return st.ListRuns(ctx, f)
}

// Folded returns what t's state keeps of its folded (quiet scheduled)
// runs.
func (s *Service) Folded(ctx context.Context, t tables.Table) (state.Folded, error) {
	st, err := s.store(ctx, t)
	if err != nil {
		return state.Folded{}, err
	}
	return st.ReadFolded(ctx, t.Name)
}

// LastSuccessBefore returns t's newest successful run started before at.
func (s *Service) LastSuccessBefore(ctx context.Context, t tables.Table, at time.Time) (state.RunRow, bool, error) {
	st, err := s.store(ctx, t)
	if err != nil {
		return state.RunRow{}, false, err
	}
	return st.LastSuccessBefore(ctx, t.Name, at)
}

// State returns t's stored state; ok is false before its first run.
func (s *Service) State(ctx context.Context, t tables.Table) (datasync.State, bool, error) {
	st, err := s.store(ctx, t)
	if err != nil {
		return datasync.State{}, false, err
	}
	return st.ReadState(ctx, t.Name)
}

// Rejects returns up to limit of t's rejected rows, oldest first, and how
// many there are in all.
func (s *Service) Rejects(ctx context.Context, t tables.Table, limit int) ([]state.Reject, int64, error) {
	st, err := s.ensured(ctx, t)
	if err != nil {
		return nil, 0, err
	}
	return st.ListRejects(ctx, t.Name, limit)
}

// CountLeft counts the source rows after t's stored position: what its
// running sync has still to read at most.
func (s *Service) CountLeft(ctx context.Context, t tables.Table) (int64, error) {
	st, _, err := s.State(ctx, t)
	if err != nil {
		return 0, err
	}
	src, err := connect.OpenSource(ctx, s.pools, t)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	return src.CountAfter(ctx, st.Position)
}

// ErrNoRun is returned by Follow when t's task left the queue without a
// newer run in the run log.
var ErrNoRun = errors.New("the task left the queue without a run in the run log (was the table removed?)")

// Follow follows t's queued sync until its task leaves the queue, calling
// report every second with the task's status and the rows the run has to
// read in all (-1 while unknown: they are counted on the source beside
// the run, and on a table too large to count quickly come later or not
// at all). It returns the table's newest run, which must be newer than
// lastRun (Enqueued.LastRun) or have reported progress.
func (s *Service) Follow(ctx context.Context, t tables.Table, lastRun int64, report func(queue.TaskStatus, int64)) (state.RunRow, error) {
	st, err := s.store(ctx, t)
	if err != nil {
		return state.RunRow{}, err
	}
	var total atomic.Int64
	total.Store(-1)
	countCtx, stopCount := context.WithCancel(ctx)
	defer stopCount()
	go func() {
		if n, err := s.CountLeft(countCtx, t); err == nil {
			total.Store(n)
		}
	}()
	var runID int64
	err = s.enq.Follow(ctx, t, time.Second, func(ts queue.TaskStatus) {
		if ts.Progress != nil {
			runID = ts.Progress.RunID
		}
		report(ts, total.Load())
	})
	if err != nil {
		return state.RunRow{}, err
	}
	runs, err := st.ListRuns(ctx, state.RunFilter{Table: t.Name, Limit: 1})
	if err != nil {
		return state.RunRow{}, err
	}
	if len(runs) == 0 || runs[0].ID <= lastRun && runID == 0 {
		return state.RunRow{}, ErrNoRun
	}
	return runs[0], nil
}
