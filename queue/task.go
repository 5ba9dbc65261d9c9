package queue

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// TypeSyncTable is the one task type: sync one declared table once.
const TypeSyncTable = "sync:table"

// MaxRetry is how often a failed sync is retried before Asynq archives
// it. With RetryDelay's backoff that is about half an hour of attempts;
// the table's schedule takes over after that (see Scheduler).
const MaxRetry = 10

// Payload is what a sync:table task carries.
type Payload struct {
	Table string `json:"table"`
	// Trigger is one of datasync's triggers: schedule, manual, rewind or
	// full. A rewind has already been applied to the stored position when
	// the task is enqueued; the trigger only labels the run.
	Trigger string `json:"trigger"`
	// AcceptSchema takes a change of the source's columns as it is (the
	// user made the target match), as `syncd sync --accept-schema` does.
	AcceptSchema bool `json:"accept_schema,omitempty"`
}

// TaskID is the id every task of table carries, so at most one is queued
// or running in its queue.
func TaskID(table string) string { return "sync:" + table }

// NewTask returns the task that syncs t, with the options that belong to
// it: its queue, its id, its timeout and the retry limit.
func NewTask(t tables.Table, trigger string) (*asynq.Task, []asynq.Option, error) {
	return newTask(t, Payload{Table: t.Name, Trigger: trigger})
}

func newTask(t tables.Table, p Payload) (*asynq.Task, []asynq.Option, error) {
	p.Table = t.Name
	b, err := json.Marshal(p)
	if err != nil {
		return nil, nil, err
	}
	return asynq.NewTask(TypeSyncTable, b), TaskOptions(t), nil
}

// TaskOptions are the options of t's tasks. The timeout is set from the
// declaration every time: Asynq reads Timeout(0) as 30 minutes, not as
// none. No Unique and no Retention: with TaskID, Unique leaves a lock
// behind that blocks the table, and a retained completed task would block
// the next enqueue until it expired.
func TaskOptions(t tables.Table) []asynq.Option {
	return []asynq.Option{
		asynq.Queue(queueOf(t)),
		asynq.TaskID(TaskID(t.Name)),
		asynq.Timeout(t.Timeout),
		asynq.MaxRetry(MaxRetry),
	}
}

// queueOf returns the queue of t, the default queue when unset (a Table
// made in code rather than loaded).
func queueOf(t tables.Table) string {
	if t.Queue == "" {
		return tables.DefaultQueue
	}
	return t.Queue
}

// ParsePayload reads a task's payload.
func ParsePayload(b []byte) (Payload, error) {
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("payload of %s: %w", TypeSyncTable, err)
	}
	if p.Table == "" {
		return p, fmt.Errorf("payload of %s names no table", TypeSyncTable)
	}
	switch p.Trigger {
	case datasync.TriggerSchedule, datasync.TriggerManual, datasync.TriggerRewind, datasync.TriggerFull:
	case "":
		p.Trigger = datasync.TriggerManual
	default:
		return p, fmt.Errorf("payload of %s: unknown trigger %q", TypeSyncTable, p.Trigger)
	}
	return p, nil
}

// Backoff of retries: exponential from RetryBase, capped at RetryMax, with
// full jitter so that tables failing together (a target restart) do not
// come back together.
const (
	RetryBase = 5 * time.Second
	RetryMax  = 5 * time.Minute
)

// RetryDelay is the worker's asynq.RetryDelayFunc: attempt n (from 1)
// waits a random time between half and all of min(base*2^(n-1), max).
func RetryDelay(base, max time.Duration) asynq.RetryDelayFunc {
	return func(n int, _ error, _ *asynq.Task) time.Duration {
		d := base
		for i := 1; i < n && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		return d/2 + rand.N(d/2+1)
	}
}
