package queue

import (
	"testing"
	"time"
)

// Lag counts from the upper bound of the last successful run: its start
// minus settle for a time cursor, its start for other cursors.
func TestLag(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	ok := now.Add(-10 * time.Second)
	for _, c := range []struct {
		timed bool
		want  time.Duration
	}{{true, 15 * time.Second}, {false, 10 * time.Second}} {
		if got := Lag(now, ok, 5*time.Second, c.timed); got != c.want {
			t.Errorf("time cursor %v: lag %v, want %v", c.timed, got, c.want)
		}
	}
	if got := Lag(now, now.Add(time.Second), 0, true); got != 0 {
		t.Errorf("a run started ahead of this clock: lag %v, want 0", got)
	}
}
