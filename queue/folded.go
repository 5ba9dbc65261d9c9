package queue

import (
	"context"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
)

// folded adds to st what the run log no longer holds: scheduled runs that
// found nothing are folded into the table's state, so the newest of them may be
// the table's last run, and is its last success when newer than the
// run log's.
func folded(ctx context.Context, store *state.Store, st *TableStatus, now time.Time) {
	f, err := store.ReadFolded(ctx, st.Name)
	if err != nil {
		st.problem("run log", err)
		return
	}
	applyFolded(st, f, now)
	if st.Late, err = store.ReadLate(ctx, st.Name); err != nil {
		st.problem("late rows", err)
	}
}

// applyFolded makes the newest folded run f the table's last run and last
// success where it is newer than the run log's.
func applyFolded(st *TableStatus, f state.Folded, now time.Time) {
	if f.Ended == nil {
		return
	}
	if st.LastRun == nil || lastTime(st.LastRun).Before(*f.Started) {
		st.LastRun, st.Failing = FoldedRun(st.Name, f, st.Cursor), false
	}
	if st.LastSuccess == nil || st.LastSuccess.Before(*f.Ended) {
		st.success(*f.Started, *f.Ended, now)
	}
}

// FoldedRun is the newest folded run of table as a line of the run log:
// a scheduled run, ok, that read nothing and left the cursor where it
// was. Its ID is 0: it has no line of its own.
func FoldedRun(table string, f state.Folded, cursor string) *state.RunRow {
	return &state.RunRow{
		Table: table, Trigger: datasync.TriggerSchedule, Status: state.StatusOK,
		Started: *f.Started, Ended: f.Ended, CursorBefore: cursor, CursorAfter: cursor,
	}
}

// lastTime is when run r last did something: its start, or the newest
// failure folded into it.
func lastTime(r *state.RunRow) time.Time {
	if r.RepeatedAt != nil {
		return *r.RepeatedAt
	}
	return r.Started
}
