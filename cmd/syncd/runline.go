package main

import (
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
)

// runLine is the one line a finished run is summed up in, by syncd sync
// and enqueue --wait alike: every count the run log keeps, so that the
// counts add up to the rows read (deleted rows included).
type runLine struct {
	ID     int64
	Status string
	Read   int64
	datasync.WriteStats
	Late   int64
	Took   time.Duration
	Cursor string
}

func (l runLine) text(table string) string {
	cursor := l.Cursor
	if cursor == "" {
		cursor = "(none)"
	}
	return fmt.Sprintf("%s: run %d %s: %d rows read (%d inserted, %d updated, %d unchanged, %d deleted, %d rejected, %d late) in %s, cursor %s",
		table, l.ID, l.Status, l.Read, l.Inserted, l.Updated, l.Unchanged, l.Deleted, l.Rejected, l.Late, l.Took.Round(time.Millisecond), cursor)
}

// rowLine sums up a run as the run log holds it.
func rowLine(r state.RunRow) runLine {
	l := runLine{ID: r.ID, Status: r.Status, Read: r.Read, Late: r.Late, Cursor: r.CursorAfter,
		WriteStats: datasync.WriteStats{Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged, Rejected: r.Rejected, Deleted: r.Deleted}}
	if r.Ended != nil {
		l.Took = r.Ended.Sub(r.Started)
	}
	return l
}

// recordLine sums up a run this process ran, with the status the run log
// gives it.
func recordLine(rec datasync.RunRecord, err error) runLine {
	status := state.StatusOK
	switch {
	case rec.Paused:
		status = state.StatusPaused
	case err != nil:
		status = state.StatusFailed
	}
	l := runLine{ID: rec.ID, Status: status, Read: rec.Read, WriteStats: rec.WriteStats, Late: rec.Late, Cursor: rec.CursorAfter.String()}
	if !rec.Ended.IsZero() {
		l.Took = rec.Ended.Sub(rec.Started)
	}
	return l
}
