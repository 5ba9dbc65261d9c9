package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// A reconcile that finds the table's snapshot under way ends without a
// retry (the snapshot's end sets the cursor; the next scheduled reconcile
// compares then), and says so in the log; other failures are still
// returned for Asynq to retry or archive.
func TestReconcileDuringSnapshotIsSkipped(t *testing.T) {
	var b bytes.Buffer
	h := &Handler{Log: zerolog.New(&b)}
	tb := tables.Table{Name: "items"}
	running := fmt.Errorf("reconcile items: %w (1 of 4 parts done); reconcile once it has ended", datasync.ErrSnapshotRunning)
	if err := h.reconciled(tb, running); err != nil {
		t.Fatalf("reconcile during a snapshot returned %v, want nil (not retried)", err)
	}
	if !strings.Contains(b.String(), "reconcile skipped: a snapshot of the table is under way") {
		t.Fatalf("log %q does not say the reconcile was skipped", b.String())
	}
	if err := h.reconciled(tb, fmt.Errorf("read source: connection refused")); err == nil {
		t.Fatal("another failure returned nil: it would never be retried")
	}
}

// A task whose table is no longer declared (its file removed after the
// task was queued) fails for good, whatever its type: no retry brings the
// declaration back. A payload that cannot be read fails for good too.
func TestTaskOfUndeclaredTableIsNotRetried(t *testing.T) {
	cat, err := NewCatalog(&tables.Config{TablesDir: t.TempDir()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	mux := Mux(&Handler{Catalog: cat, Log: zerolog.Nop()})
	for _, task := range []*asynq.Task{
		asynq.NewTask(TypeSyncTable, []byte(`{"table":"gone"}`)),
		asynq.NewTask(TypeReconcileTable, []byte(`{"table":"gone"}`)),
		asynq.NewTask(TypeSnapshotPart, []byte(`{"table":"gone","generation":1,"part":0}`)),
		asynq.NewTask(TypeSyncTable, []byte(`{"table":`)),
	} {
		err := mux.ProcessTask(context.Background(), task)
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s %s: %v; want a failure that is not retried", task.Type(), task.Payload(), err)
		}
		if bytes.Contains(task.Payload(), []byte("gone")) && (err == nil || !strings.Contains(err.Error(), "table gone is no longer declared in")) {
			t.Errorf("%s: %v; want it to name the table and the directory", task.Type(), err)
		}
	}
}
