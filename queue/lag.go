package queue

import "time"

// Lag is how far behind its source a table is known to be at now: the
// time since the upper bound of its last successful run, lastOK being
// when that run started. A successful run has every source row up to its
// bound in the target, so nothing older can be missing. For a time
// cursor the bound is the source's clock minus settle, seen from the
// worker's clock as the run's start minus settle; for integer and
// rowversion cursors settle is not a time, and the bound is the start.
// Status, /api/tables, the status page, /metrics and the run charts all
// compute it here. With no successful run the lag is unknown: callers
// show "-" and export nothing.
func Lag(now, lastOK time.Time, settle time.Duration, timeCursor bool) time.Duration {
	return max(now.Sub(UpperBound(lastOK, settle, timeCursor)), 0)
}

// UpperBound is a run's upper bound seen from the worker's clock: its
// start, less settle for a time cursor.
func UpperBound(started time.Time, settle time.Duration, timeCursor bool) time.Time {
	if timeCursor {
		return started.Add(-settle)
	}
	return started
}
