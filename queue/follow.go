package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/syncd/syncd/tables"
)

// TaskStatus is the state of a table's task as Follow sees it.
type TaskStatus struct {
	// State is the Asynq state (pending, active, retry...), or "done" once
	// the task has left the queue.
	State    string
	Progress *Progress // the running sync's progress, when it wrote one
}

// ErrRunFailed is returned by Follow when the run failed; the error says
// whether and when the queue retries it.
var ErrRunFailed = errors.New("sync failed")

// Follow polls t's task every interval and calls report with its status
// until the task leaves the queue (the run finished) or fails. A failed
// run is not waited out through its retries: Follow returns ErrRunFailed
// with the error and when the retry is due.
func (e *Enqueuer) Follow(ctx context.Context, t tables.Table, interval time.Duration, report func(TaskStatus)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		info, err := e.inspector.GetTaskInfo(queueOf(t), TaskID(t.Name))
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			report(TaskStatus{State: "done"})
			return nil
		case err != nil:
			return fmt.Errorf("follow %s: %w", t.Name, RedisError(e.opt, err))
		}
		st := TaskStatus{State: stateName(info.State)}
		if len(info.Result) > 0 {
			var p Progress
			if json.Unmarshal(info.Result, &p) == nil {
				st.Progress = &p
			}
		}
		report(st)
		switch info.State {
		case asynq.TaskStateRetry:
			return fmt.Errorf("%w: %s (the queue retries it at %s)", ErrRunFailed, info.LastErr, info.NextProcessAt.Format(time.RFC3339))
		case asynq.TaskStateArchived:
			return fmt.Errorf("%w: %s (archived: not retried; see /monitor)", ErrRunFailed, info.LastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Cancel asks the worker running t's sync to stop it: Asynq cancels the
// handler's context, the engine stops at the page boundary (the page
// being written rolls back, the cursor matches the rows written), and
// the task goes to retry, continuing from the cursor. It reports whether
// a sync was running. Pause a table to keep it stopped.
func (e *Enqueuer) Cancel(t tables.Table) (bool, error) {
	info, err := e.inspector.GetTaskInfo(queueOf(t), TaskID(t.Name))
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read the task of %s: %w", t.Name, RedisError(e.opt, err))
	case info.State != asynq.TaskStateActive:
		return false, nil
	}
	if err := e.inspector.CancelProcessing(info.ID); err != nil {
		return false, fmt.Errorf("cancel the task of %s: %w", t.Name, RedisError(e.opt, err))
	}
	return true, nil
}
