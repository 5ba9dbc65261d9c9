package queue

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
