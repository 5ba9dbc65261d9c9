package main

import (
	"fmt"
	"time"

	"github.com/syncd/syncd/sync/state"
)

// reconcileText renders a table's last reconcile for syncd status: its
// outcome, the rows it deleted and when it ended ("-" for none).
func reconcileText(r *state.RunRow, now time.Time) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%s %d deleted %s", r.Status, r.Deleted, runWhen(r, now))
}
