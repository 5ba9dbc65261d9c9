package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// TableStatus is where one declared table stands: what syncd status,
// /api/tables, the status page and the gauges of /metrics show.
type TableStatus struct {
	Name string `json:"name"`
	// File is the declaration's file. Broken is true when it does not
	// load and no good version of it runs: the status then holds only
	// the name, the file and the problem, as LastError.
	File     string `json:"file,omitempty"`
	Broken   bool   `json:"broken,omitempty"`
	Schedule string `json:"schedule"`
	Queue    string `json:"queue"`
	Paused   bool   `json:"paused"`
	// Cursor is the stored position as the run log writes it; empty
	// before the first row is written (an initial load).
	Cursor string `json:"cursor"`
	// LagSeconds is how far behind its source the table is known to be:
	// the time since the upper bound of its last successful run (see
	// Lag). Nil before the first successful run.
	LagSeconds *float64 `json:"lag_seconds"`
	// RowAgeSeconds is the source's clock minus a time cursor: the age
	// of the newest row synced, which grows on a quiet table however
	// fresh it is. Nil for other cursors, before the first row, for a
	// paused table (its source is left alone) and when the source did
	// not answer.
	RowAgeSeconds *float64 `json:"row_age_seconds"`
	// LastRun is the newest line of the run log.
	LastRun *state.RunRow `json:"last_run"`
	// LastSuccess is when the newest successful run ended, and
	// LastSuccessAgeSeconds how long ago that was.
	LastSuccess           *time.Time `json:"last_success"`
	LastSuccessAgeSeconds *float64   `json:"last_success_age_seconds"`
	// RowsRejected is how many of the table's rows are kept as rejects
	// now: refused by the target, retried at every run.
	RowsRejected int64 `json:"rows_rejected"`
	// Reconcile is the table's reconcile: schedule (empty: none) and
	// NextReconcile when it next fires; LastReconcile is the table's
	// newest reconcile in the run log, however it was started (nil: none,
	// or no reconcile: declared; syncd runs lists every reconcile).
	Reconcile     string        `json:"reconcile,omitempty"`
	NextReconcile *time.Time    `json:"next_reconcile,omitempty"`
	LastReconcile *state.RunRow `json:"last_reconcile"`
	// Late counts the late rows every run so far found behind the cursor
	// and wrote again (the lookback), and when the newest did: a
	// cumulative figure kept in the table's state.
	state.Late
	// NextRun is when the table is next enqueued: the running scheduler's
	// entry, or computed from the schedule when no scheduler runs.
	NextRun *time.Time `json:"next_run"`
	// Task is the state of the table's task in its queue (pending,
	// active, scheduled, retry, archived), empty when none is there.
	Task      string `json:"task"`
	TaskError string `json:"task_error,omitempty"`
	// Progress is what a running task reported last.
	Progress *Progress `json:"progress,omitempty"`
	// Total is how many rows a running initial load reads in all, when
	// they were counted; 0 when unknown.
	Total int64 `json:"total,omitempty"`
	// LastError is the table's newest error not followed by a success,
	// and LastErrorAt when it happened: a failed run (one that never
	// started included: a wrong password, a missing column), the task's
	// last failure in the queue, or a declaration file that does not load.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// Failing is true when the table's newest run failed in a way no
	// retry fixes (a missing column, a target that refuses it): it fails
	// so at every tick, each failure counted on that one run (its
	// repeated), until its declaration, source or target changes and a
	// run goes otherwise.
	Failing bool `json:"failing,omitempty"`
	// Snapshot is the table's snapshot while one runs (a first load or a
	// --full split into parts), nil otherwise.
	Snapshot *SnapshotStatus `json:"snapshot,omitempty"`
	// Problems say what could not be read; the rest of the status stands.
	Problems []string `json:"problems,omitempty"`

	// okStarted is when the last successful run (listed or folded)
	// started, zero for none; timeCursor says the stored cursor is a
	// time. Together with the declaration they give LagSeconds.
	okStarted  time.Time
	timeCursor bool
}

// success records a successful run that started and ended as given as
// the table's last success.
func (s *TableStatus) success(started, ended, now time.Time) {
	age := now.Sub(ended).Seconds()
	s.LastSuccess, s.LastSuccessAgeSeconds, s.okStarted = &ended, &age, started
}

// setLag fills LagSeconds from the last success, the one place status
// computes it (see Lag); it stays nil before the first success.
func (s *TableStatus) setLag(t tables.Table, now time.Time) {
	if s.okStarted.IsZero() {
		return
	}
	lag := Lag(now, s.okStarted, t.Settle, s.timeCursor).Seconds()
	s.LagSeconds = &lag
}

func (s *TableStatus) problem(what string, err error) {
	s.Problems = append(s.Problems, what+": "+err.Error())
}

// lastRun records r, the newest line of the run log (nil: none): a
// failed run is the last error, and one no retry fixes makes the table
// Failing until a run goes otherwise.
func (s *TableStatus) lastRun(r *state.RunRow) {
	s.LastRun = r
	if r == nil || r.Status != state.StatusFailed {
		return
	}
	if at := r.LastFailed(); at != nil {
		s.lastError(r.Error, *at)
	}
	s.Failing = r.Permanent
}

// lastError keeps msg as the last error unless a newer one is known.
func (s *TableStatus) lastError(msg string, at time.Time) {
	if s.LastErrorAt == nil || at.After(*s.LastErrorAt) {
		s.LastError, s.LastErrorAt = msg, &at
	}
}

// StatusReader reads table statuses from the targets, the sources and
// the queue. It remembers the row count of each running initial load,
// so that a page refreshed every few seconds counts a table once per run.
type StatusReader struct {
	pools *connect.Pools
	in    *asynq.Inspector

	mu      sync.Mutex
	totals  map[string][2]int64 // table: run id, rows
	sources map[string]keptSource
}

// NewStatusReader returns a reader over pools and the queue in.
func NewStatusReader(pools *connect.Pools, in *asynq.Inspector) *StatusReader {
	return &StatusReader{pools: pools, in: in, totals: map[string][2]int64{}, sources: map[string]keptSource{}}
}

// statusParallel bounds the tables read at once: each may wait on a slow
// source.
const statusParallel = 8

// Read returns the status of each table, in the order given. Problems
// with one table (an unreachable source) are in its status, not errors.
func (r *StatusReader) Read(ctx context.Context, ts []tables.Table) []TableStatus {
	entries, _ := r.in.SchedulerEntries() // without them the schedule says when
	now := time.Now()
	snap := r.snapshot(ctx, ts)
	byTable := entriesByTable(entries)
	out := make([]TableStatus, len(ts))
	sem := make(chan struct{}, statusParallel)
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = r.table(ctx, t, byTable[t.Name], now, snap)
		})
	}
	wg.Wait()
	return out
}

// table reads the status of t.
func (r *StatusReader) table(ctx context.Context, t tables.Table, entries []*asynq.SchedulerEntry, now time.Time, snap *snapshot) TableStatus {
	st := r.stored(ctx, t, entries, now, snap)
	st.setLag(t, now)
	r.reconciled(ctx, &st, t, now)
	if !st.Broken {
		r.snapshotOf(ctx, &st, t)
	}
	return st
}

// stored reads all of t's status but its lag.
func (r *StatusReader) stored(ctx context.Context, t tables.Table, entries []*asynq.SchedulerEntry, now time.Time, snap *snapshot) TableStatus {
	st := TableStatus{Name: t.Name, File: t.File, Schedule: t.Schedule, Queue: queueOf(t), NextRun: nextRun(t, entries, now)}
	r.task(&st, t, snap)
	if sum, ok := snap.summary(t); ok {
		if stored := storedFrom(&st, sum, now); !st.Paused {
			r.source(ctx, &st, t, stored.Position, snap)
		}
		return st
	}
	db, err := r.pools.DB(ctx, t.Target.Connection)
	if err != nil {
		st.problem("target", err)
		return st
	}
	store := state.New(db)
	stored, _, err := store.ReadState(ctx, t.Name)
	if err != nil {
		st.problem("target", err)
		return st
	}
	st.Paused = stored.Paused
	_, st.timeCursor = stored.Position.Cursor.(time.Time)
	if !stored.Position.IsZero() {
		st.Cursor = stored.Position.String()
	}
	if runs, err := store.ListRuns(ctx, state.RunFilter{Table: t.Name, Limit: 1}); err != nil {
		st.problem("run log", err)
	} else if len(runs) > 0 {
		st.lastRun(&runs[0])
	}
	if _, n, err := store.ListRejects(ctx, t.Name, 0); err != nil {
		st.problem("rejects", err)
	} else {
		st.RowsRejected = n
	}
	if started, ended, ok, err := store.LastSuccess(ctx, t.Name); err != nil {
		st.problem("run log", err)
	} else if ok {
		st.success(started, ended, now)
	}
	folded(ctx, store, &st, now)
	if !st.Paused {
		r.source(ctx, &st, t, stored.Position, snap)
	}
	return st
}

// task fills in the table's task in the queue, and its progress while
// it runs.
func (r *StatusReader) task(st *TableStatus, t tables.Table, snap *snapshot) {
	info, listed := snap.task(t)
	var err error
	if !listed {
		info, err = r.in.GetTaskInfo(queueOf(t), TaskID(t.Name))
	}
	switch {
	case listed && info == nil:
		return
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		return
	case err != nil:
		st.problem("queue", RedisError(nil, err))
		return
	}
	st.Task, st.TaskError = stateName(info.State), info.LastErr
	if info.LastErr != "" && (info.State == asynq.TaskStateRetry || info.State == asynq.TaskStateArchived) {
		st.lastError(info.LastErr, info.LastFailedAt)
	}
	// A task waiting for its retry still holds the last attempt's result.
	if info.State == asynq.TaskStateActive && len(info.Result) > 0 {
		var p Progress
		if json.Unmarshal(info.Result, &p) == nil {
			st.Progress = &p
		}
	}
}

// source reads what only the source knows: its clock, for the row age of a
// time cursor, and the rows of a running initial load, for its progress.
func (r *StatusReader) source(ctx context.Context, st *TableStatus, t tables.Table, pos datasync.Position, snap *snapshot) {
	cur, timed := pos.Cursor.(time.Time)
	firstLoad := st.Progress != nil && st.LastRun != nil && st.LastRun.ID == st.Progress.RunID && st.LastRun.CursorBefore == ""
	if !timed && !firstLoad {
		return
	}
	src, err := r.openSource(ctx, t)
	if err != nil {
		st.problem("source", err)
		return
	}
	if timed {
		hi, err := snap.upperBound(ctx, t, src)
		if err != nil {
			r.forgetSource(t)
			st.problem("source", err)
		} else if now, ok := hi.(time.Time); ok {
			age := now.Sub(cur).Seconds()
			st.RowAgeSeconds = &age
		}
	}
	if firstLoad {
		st.Total = r.total(ctx, src, t.Name, st.Progress.RunID)
	}
}

// total counts the rows of an initial load once per run. A count that
// failed (a table too large to count in time) is remembered as unknown
// too, rather than tried again at every refresh.
func (r *StatusReader) total(ctx context.Context, src *datasync.SQLSource, table string, run int64) int64 {
	r.mu.Lock()
	c, ok := r.totals[table]
	r.mu.Unlock()
	if ok && c[0] == run {
		return c[1]
	}
	n, err := src.CountAfter(ctx, datasync.Position{})
	if err != nil {
		n = 0
	}
	r.mu.Lock()
	r.totals[table] = [2]int64{run, n}
	r.mu.Unlock()
	return n
}

// nextRun returns when t is next enqueued: the earliest entry of a
// running scheduler for t, else the next time its schedule fires. An
// entry whose time has passed is a scheduler that stopped (its entries
// outlive it for a while) and is left out.
func nextRun(t tables.Table, entries []*asynq.SchedulerEntry, now time.Time) *time.Time {
	var next *time.Time
	for _, e := range entries {
		if e.Task == nil || e.Task.Type() != TypeSyncTable || entryQueue(e.Opts) != queueOf(t) || e.Next.Before(now) {
			continue
		}
		if p, err := ParsePayload(e.Task.Payload()); err == nil && p.Table == t.Name && (next == nil || e.Next.Before(*next)) {
			next = &e.Next
		}
	}
	if next != nil {
		return next
	}
	sched, err := cron.ParseStandard(t.Schedule)
	if err != nil {
		return nil
	}
	n := sched.Next(now)
	return &n
}

// entryQueue returns the queue that options of a task enqueue it to.
func entryQueue(opts []asynq.Option) string {
	q := tables.DefaultQueue
	for _, o := range opts {
		if o.Type() == asynq.QueueOpt {
			q = fmt.Sprint(o.Value())
		}
	}
	return q
}
