package main

import (
	"slices"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/state"
)

// lagPoint is how far behind its source a table was at a moment.
type lagPoint struct {
	At  time.Time
	Lag time.Duration
}

// success is a successful run as the lag sees it: when it ended and the
// upper bound up to which it brought the target.
type success struct {
	end, bound time.Time
}

// lagSeries returns a table's lag over [from, now] as the corners of a
// polyline. Lag is how far behind the source the target is known to be:
// now minus the upper bound of the last successful run, which is its
// start minus settle for a time cursor (pass settle 0 for integer and
// rowversion cursors). Just after a successful run ends at E the lag is
// E - (start - settle); it grows a second a second until the next
// successful run ends: a sawtooth. runs are the runs started in the
// window, in any order; prior is the last successful run started before
// them, nil for none. Failed and running runs move nothing. Before the
// first success there is no lag: the series starts there.
func lagSeries(runs []state.RunRow, prior *state.RunRow, settle time.Duration, from, now time.Time) []lagPoint {
	succ := successes(runs, prior, settle)
	var pts []lagPoint
	var bound time.Time
	for i, s := range succ {
		at := clampTime(s.end, from, now)
		if i > 0 {
			pts = append(pts, lagPoint{at, at.Sub(bound)})
		}
		// Two runs of one table can overlap: the target is known up to
		// the higher bound of those that ended.
		if i == 0 || s.bound.After(bound) {
			bound = s.bound
		}
		pts = append(pts, lagPoint{at, at.Sub(bound)})
	}
	if len(succ) > 0 {
		pts = append(pts, lagPoint{now, now.Sub(bound)})
	}
	return pts
}

// successes returns the successful runs among runs and prior, by end.
func successes(runs []state.RunRow, prior *state.RunRow, settle time.Duration) []success {
	var out []success
	add := func(r state.RunRow) {
		if r.Status == state.StatusOK && r.Ended != nil {
			out = append(out, success{end: *r.Ended, bound: queue.UpperBound(r.Started, settle, true)})
		}
	}
	if prior != nil {
		add(*prior)
	}
	for _, r := range runs {
		add(r)
	}
	slices.SortFunc(out, func(a, b success) int { return a.end.Compare(b.end) })
	return out
}

func clampTime(t, lo, hi time.Time) time.Time {
	switch {
	case t.Before(lo):
		return lo
	case t.After(hi):
		return hi
	}
	return t
}
