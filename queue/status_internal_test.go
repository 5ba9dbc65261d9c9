package queue

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// The next run comes from a running scheduler's entry for the table in
// its queue, the earliest when several schedulers run; without one, from
// the schedule.
func TestNextRun(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 30, 0, time.UTC)
	items := tables.Table{Name: "items", Schedule: "*/5 * * * *", Queue: "q1"}
	entry := func(table, queue string, next time.Time) *asynq.SchedulerEntry {
		task, opts, err := NewTask(tables.Table{Name: table, Queue: queue, Timeout: time.Minute}, datasync.TriggerSchedule)
		if err != nil {
			t.Fatal(err)
		}
		return &asynq.SchedulerEntry{Task: task, Opts: opts, Next: next}
	}
	soon, later := now.Add(7*time.Second), now.Add(9*time.Second)
	entries := []*asynq.SchedulerEntry{
		entry("items", "other", now.Add(time.Second)), // same name, another queue
		entry("orders", "q1", now.Add(2*time.Second)),
		entry("items", "q1", later),
		entry("items", "q1", soon), // a second scheduler
	}
	if got := nextRun(items, entries, now); got == nil || !got.Equal(soon) {
		t.Errorf("with scheduler entries: %v, want %v", got, soon)
	}
	stale := []*asynq.SchedulerEntry{entry("items", "q1", now.Add(-5*time.Second))} // its scheduler stopped
	if got, want := nextRun(items, stale, now), time.Date(2026, 3, 1, 8, 5, 0, 0, time.UTC); got == nil || !got.Equal(want) {
		t.Errorf("with a stale entry: %v, want %v from the schedule", got, want)
	}
	if got, want := nextRun(items, nil, now), time.Date(2026, 3, 1, 8, 5, 0, 0, time.UTC); got == nil || !got.Equal(want) {
		t.Errorf("from the schedule: %v, want %v", got, want)
	}
}
