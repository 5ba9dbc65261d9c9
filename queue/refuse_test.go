package queue_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
)

// archived waits for the table's task to be archived and returns it.
func (f *fixture) archived(name string) *asynq.TaskInfo {
	f.t.Helper()
	var info *asynq.TaskInfo
	eventually(f.t, "task archived", func() (bool, string) {
		var err error
		info, err = f.enq.Inspector().GetTaskInfo(f.queue, queue.TaskID(name))
		if err != nil {
			return false, err.Error()
		}
		return info.State == asynq.TaskStateArchived, info.State.String() + " " + info.LastErr
	})
	return info
}

// A target table without the declared primary key would collect a second
// row at each update: the run refuses it, says how to fix it, and is not
// retried.
func TestTargetWithoutPrimaryKeyIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 10)
	if _, err := f.tgt.Exec("ALTER TABLE items DROP PRIMARY KEY"); err != nil {
		t.Fatal(err)
	}
	f.startWorker(f.catalog())
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	info := f.archived("items")
	if info.Retried != 0 || !strings.Contains(info.LastErr, "has no primary key") || !strings.Contains(info.LastErr, "create it on (id)") {
		t.Fatalf("task retried %d times, error %q; want no retry and the fix named", info.Retried, info.LastErr)
	}
	var n int
	if err := f.tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 0 {
		t.Fatalf("target holds %d rows (%v); want none written", n, err)
	}
}
