package queue

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// batchFrom is the number of tables from which Read reads the state
// tables and the queue once for all of them, instead of table by table.
const batchFrom = statusParallel

// snapshot is what Read reads once for many tables: each target
// connection's state tables, each queue's tasks, each source clock. A
// missing part is read table by table, as for a few tables.
type snapshot struct {
	summaries map[string]map[string]*state.Summary  // connection: table: summary
	tasks     map[string]map[string]*asynq.TaskInfo // queue: task id: task

	mu     sync.Mutex
	clocks map[string]*clockReading // connection and clock key
}

type clockReading struct {
	once sync.Once
	now  any
	err  error
}

// snapshot reads what ts share; nil for fewer than batchFrom tables.
func (r *StatusReader) snapshot(ctx context.Context, ts []tables.Table) *snapshot {
	if len(ts) < batchFrom {
		return nil
	}
	s := &snapshot{summaries: map[string]map[string]*state.Summary{}, tasks: map[string]map[string]*asynq.TaskInfo{}, clocks: map[string]*clockReading{}}
	for _, t := range ts {
		if _, done := s.summaries[t.Target.Connection]; !done {
			s.summaries[t.Target.Connection] = r.summaries(ctx, t)
		}
		if _, done := s.tasks[queueOf(t)]; !done {
			s.tasks[queueOf(t)] = r.queueTasks(queueOf(t))
		}
	}
	return s
}

// summaries reads the state tables of t's target connection; nil when
// they cannot be read at once (then each table reads its own).
func (r *StatusReader) summaries(ctx context.Context, t tables.Table) map[string]*state.Summary {
	db, err := r.pools.DB(ctx, t.Target.Connection)
	if err != nil {
		return nil
	}
	m, err := state.New(db).Summaries(ctx)
	if err != nil {
		return nil
	}
	return m
}

// queueTasks lists every task of queue by id; nil when the queue cannot
// be listed.
func (r *StatusReader) queueTasks(queue string) map[string]*asynq.TaskInfo {
	out := map[string]*asynq.TaskInfo{}
	lists := []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		r.in.ListPendingTasks, r.in.ListActiveTasks, r.in.ListScheduledTasks, r.in.ListRetryTasks, r.in.ListArchivedTasks,
	}
	for _, list := range lists {
		for page := 1; ; page++ {
			tasks, err := list(queue, asynq.PageSize(1000), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				return out
			}
			if err != nil {
				return nil
			}
			for _, ti := range tasks {
				out[ti.ID] = ti
			}
			if len(tasks) < 1000 {
				break
			}
		}
	}
	return out
}

// summary returns the snapshot's summary of t: ok is false when t's
// target was not read at once; s is nil when t has no state yet.
func (s *snapshot) summary(t tables.Table) (sum *state.Summary, ok bool) {
	if s == nil || s.summaries[t.Target.Connection] == nil {
		return nil, false
	}
	return s.summaries[t.Target.Connection][t.Name], true
}

// task returns the snapshot's task of t: ok is false when t's queue was
// not listed; info is nil when t has no task.
func (s *snapshot) task(t tables.Table) (info *asynq.TaskInfo, ok bool) {
	if s == nil || s.tasks[queueOf(t)] == nil {
		return nil, false
	}
	return s.tasks[queueOf(t)][TaskID(t.Name)], true
}

// storedFrom fills st from sum, as the per-table reads would.
func storedFrom(st *TableStatus, sum *state.Summary, now time.Time) datasync.State {
	if sum == nil {
		return datasync.State{}
	}
	st.Paused = sum.State.Paused
	if !sum.State.Position.IsZero() {
		st.Cursor = sum.State.Position.String()
	}
	_, st.timeCursor = sum.State.Position.Cursor.(time.Time)
	st.RowsRejected, st.Late = sum.Rejected, sum.Late
	st.lastRun(sum.LastRun)
	if sum.LastSuccess != nil && sum.LastSuccessStarted != nil {
		st.success(*sum.LastSuccessStarted, *sum.LastSuccess, now)
	}
	applyFolded(st, sum.Folded, now)
	return sum.State
}

// upperBound reads src's clock once per connection and clock for the
// whole snapshot; without a snapshot, or for a bound that is no clock,
// it reads it for the table.
func (s *snapshot) upperBound(ctx context.Context, t tables.Table, src *datasync.SQLSource) (any, error) {
	key := src.ClockKey()
	if s == nil || key == "" {
		return src.UpperBound(ctx, 0)
	}
	key = t.Source.Connection + "\x00" + key
	s.mu.Lock()
	c := s.clocks[key]
	if c == nil {
		c = &clockReading{}
		s.clocks[key] = c
	}
	s.mu.Unlock()
	c.once.Do(func() { c.now, c.err = src.UpperBound(ctx, 0) })
	return c.now, c.err
}

// keptSource is a source a StatusReader keeps for the lag of its table.
type keptSource struct {
	table tables.Table
	src   *datasync.SQLSource
}

// openSource returns the source of t, opened once and kept while t's
// declaration stays the same: reading a lag then costs the clock alone.
func (r *StatusReader) openSource(ctx context.Context, t tables.Table) (*datasync.SQLSource, error) {
	r.mu.Lock()
	k, ok := r.sources[t.Name]
	r.mu.Unlock()
	if ok && reflect.DeepEqual(k.table, t) {
		return k.src, nil
	}
	src, err := connect.OpenSource(ctx, r.pools, t)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.sources[t.Name] = keptSource{table: t, src: src}
	r.mu.Unlock()
	return src, nil
}

// forgetSource drops the kept source of t after it failed.
func (r *StatusReader) forgetSource(t tables.Table) {
	r.mu.Lock()
	delete(r.sources, t.Name)
	r.mu.Unlock()
}

// entriesByTable groups the scheduler's entries by the table they
// enqueue, so that each table's next run looks at its own entries only.
func entriesByTable(entries []*asynq.SchedulerEntry) map[string][]*asynq.SchedulerEntry {
	out := map[string][]*asynq.SchedulerEntry{}
	for _, e := range entries {
		if e.Task == nil || e.Task.Type() != TypeSyncTable {
			continue
		}
		if p, err := ParsePayload(e.Task.Payload()); err == nil {
			out[p.Table] = append(out[p.Table], e)
		}
	}
	return out
}
