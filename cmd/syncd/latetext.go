package main

import (
	"fmt"
	"time"

	"github.com/syncd/syncd/sync/state"
)

// lateText renders the late rows so far, with how long ago the newest
// were written: "0", or "3 (5m ago)".
func lateText(l state.Late, now time.Time) string {
	if l.Rows == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", l.Rows, agoText(l.Last, now))
}
