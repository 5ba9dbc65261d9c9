package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// TypeReconcileTable is the task type of a reconcile of one declared table
// (see datasync.Reconcile): enqueued on the table's reconcile: schedule or
// by `syncd enqueue --reconcile`. Its payload is a Payload (table and
// trigger, schedule or manual); the run log records it with trigger
// reconcile whatever the payload's trigger.
const TypeReconcileTable = "reconcile:table"

// ReconcileTaskID is the id every reconcile task of table carries: at
// most one reconcile of a table is queued or running in its queue, beside
// at most one sync (TaskID).
func ReconcileTaskID(table string) string { return "reconcile:" + table }

// NewReconcileTask returns the task that reconciles t, with its options:
// the table's queue and timeout, and its reconcile task id.
func NewReconcileTask(t tables.Table, trigger string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(Payload{Table: t.Name, Trigger: trigger})
	if err != nil {
		return nil, nil, err
	}
	opts := []asynq.Option{
		asynq.Queue(queueOf(t)),
		asynq.TaskID(ReconcileTaskID(t.Name)),
		asynq.Timeout(t.Timeout),
		asynq.MaxRetry(MaxRetry),
	}
	return asynq.NewTask(TypeReconcileTable, b), opts, nil
}

// taskIDOf returns the id a task of the table in p carries, by its type.
func taskIDOf(task *asynq.Task, p Payload) string {
	if task.Type() == TypeReconcileTable {
		return ReconcileTaskID(p.Table)
	}
	return TaskID(p.Table)
}

// EnqueueReconcile puts a reconcile of t on its queue. A reconcile of t
// already queued or running is not an error: the Outcome says so.
func (e *Enqueuer) EnqueueReconcile(ctx context.Context, t tables.Table, trigger string) (Outcome, error) {
	task, opts, err := NewReconcileTask(t, trigger)
	if err != nil {
		return Outcome{}, err
	}
	return e.enqueue(ctx, task, opts, queueOf(t), ReconcileTaskID(t.Name))
}

// errBusy is returned (and retried by Asynq) by a task that found the
// other task of its table (a sync for a reconcile, a reconcile for a
// manual sync) running.
var errBusy = errors.New("busy")

// processReconcile handles a reconcile:table task. It does not start
// while the table's sync runs (it is retried with backoff instead), so
// that the reconcile does not fence a sync half-way; the engine's claim
// keeps the two from writing at once whatever the queue does.
func (h *Handler) processReconcile(ctx context.Context, task *asynq.Task) error {
	_, t, err := h.tableTask(task)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	if h.running(t, TaskID(t.Name)) {
		return fmt.Errorf("reconcile %s: %w: its sync is running; the reconcile is retried after it", t.Name, errBusy)
	}
	if paused, err := h.paused(ctx, t); err != nil || paused {
		return err
	}
	rep, err := connect.Reconcile(ctx, h.Pools, t, datasync.ReconcileOptions{Logger: h.Log})
	if b, jerr := json.Marshal(rep); jerr == nil && task.ResultWriter() != nil {
		_, _ = task.ResultWriter().Write(b) // /monitor shows what it did
	}
	return h.reconciled(t, err)
}

// reconciled tells Asynq whether to retry a reconcile that ended with err.
func (h *Handler) reconciled(t tables.Table, err error) error {
	log := h.Log.Info().Str(datasync.FieldTable, t.Name).Str(datasync.FieldTrigger, datasync.TriggerReconcile)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, datasync.ErrNotSynced):
		// Nothing to compare yet; the next scheduled reconcile will do.
		log.Msg("reconcile skipped: the table has not been synced yet")
		return nil
	case datasync.IsPaused(err):
		return nil
	case errors.Is(err, datasync.ErrSnapshotRunning):
		// The snapshot's end sets the cursor; the next scheduled
		// reconcile compares the table then.
		log.Msg("reconcile skipped: a snapshot of the table is under way")
		return nil
	case datasync.IsFenced(err):
		// A run or rewind took the table; its run writes, and the next
		// scheduled reconcile compares again.
		log.Msg("reconcile superseded by a newer run of the table; not retried")
		return nil
	case errors.Is(err, context.Canceled):
		return err
	}
	return h.classify(t, err)
}

// running reports whether the task id of t's table is running now. With
// no Inspector it reports false: the engine's fencing still keeps a sync
// and a reconcile from writing at once, one of them is only superseded.
func (h *Handler) running(t tables.Table, id string) bool {
	if h.Inspector == nil {
		return false
	}
	info, err := h.Inspector.GetTaskInfo(queueOf(t), id)
	return err == nil && info.State == asynq.TaskStateActive
}

// yieldToReconcile reports whether a sync of t must not start because a
// reconcile of t runs: a scheduled sync is dropped (its next tick comes
// soon and the reconcile does not need it), any other is retried. The
// check comes after the task is active, as the reconcile's does, so of a
// sync and a reconcile that start together at least one sees the other.
func (h *Handler) yieldToReconcile(t tables.Table, p Payload) (bool, error) {
	if !h.running(t, ReconcileTaskID(t.Name)) {
		return false, nil
	}
	if p.Trigger == datasync.TriggerSchedule {
		h.Log.Info().Str(datasync.FieldTable, t.Name).Msg("scheduled sync skipped: a reconcile of the table is running")
		return true, nil
	}
	return true, fmt.Errorf("sync %s: %w: a reconcile of the table is running; the sync is retried after it", t.Name, errBusy)
}

// NewInspector returns an inspector of the queue's Redis r, for a
// Handler's Inspector; the caller closes it.
func NewInspector(r tables.Redis) *asynq.Inspector { return asynq.NewInspector(RedisConnOpt(r)) }

// reconciled fills in the reconcile schedule of t and its last
// reconcile, for a table that declares reconcile: only. The run log has
// no index by trigger: the newest reconcile is found by walking the
// table's runs newest first, which stops within one reconcile period for
// a scheduled table, but would walk the whole history of one reconciled
// only by hand (or never), at every status read of every table.
func (r *StatusReader) reconciled(ctx context.Context, st *TableStatus, t tables.Table, now time.Time) {
	if st.Broken || t.Reconcile == "" {
		return
	}
	st.Reconcile = t.Reconcile
	if sched, err := cron.ParseStandard(t.Reconcile); err == nil {
		next := sched.Next(now)
		st.NextReconcile = &next
	}
	db, err := r.pools.DB(ctx, t.Target.Connection)
	if err != nil {
		st.problem("target", err)
		return
	}
	if st.LastReconcile, err = state.New(db).LastReconcile(ctx, t.Name); err != nil {
		st.problem("run log", err)
	}
}
