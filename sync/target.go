package datasync

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrFenced is returned by Target.WritePage when another run of the table
// claimed it after this one: the page was rolled back and this run must stop.
var ErrFenced = errors.New("run superseded by a newer run of the same table")

// ErrPaused is returned by Run, and by Target.WritePage in place of
// ErrFenced, when the table was paused: before the run claimed it, or
// while it ran (pausing raises the fencing version, so the run stops at
// its next page with the position matching the rows written). It is an
// operator's choice, not a failure.
var ErrPaused = errors.New("table paused")

// State is a table's stored state as a run claimed it.
type State struct {
	// Table is the declared table's name.
	Table string
	// Version is the fencing version this run holds. Every write is
	// conditional on it.
	Version int64
	// Position is where the previous run stopped; its zero value means no
	// row has been written yet (an initial load).
	Position Position
	// RunID is the run's id in the run log, for the rows it rejects.
	RunID int64
	// Paused is true while an operator has paused the table: a run that
	// claims it reads nothing.
	Paused bool
}

// WriteStats counts what one page did to the target.
type WriteStats struct {
	Inserted, Updated, Unchanged int64
	// Rejected counts rows the target refused and kept aside with their
	// error (on_bad_rows: reject) instead of writing them.
	Rejected int64
	// Deleted counts target rows deleted, or marked deleted, because the
	// source marks them deleted (source.deleted_when).
	Deleted int64
}

// Add sums two counts.
func (s WriteStats) Add(o WriteStats) WriteStats {
	return WriteStats{s.Inserted + o.Inserted, s.Updated + o.Updated, s.Unchanged + o.Unchanged, s.Rejected + o.Rejected, s.Deleted + o.Deleted}
}

// RunRecord is one line of the run log.
type RunRecord struct {
	ID      int64
	Table   string
	Trigger string
	Started time.Time
	Ended   time.Time
	Read    int64
	WriteStats
	Pages        int
	CursorBefore Position
	CursorAfter  Position
	Error        string
	// Notes says what the run found worth knowing besides its counts: a
	// change of the source's columns, columns it added to the target.
	Notes string
	// Paused is true when the run stopped because the table was paused.
	Paused bool
	// Late counts rows the lookback found behind the stored cursor,
	// missing from the target or older there, and wrote again (or
	// deleted): commits later than settle, as far as the evidence goes
	// (see lookback_why.go).
	Late int64
	// SetBack counts rows the lookback wrote again whose cursor was set
	// back (a backdated change, not a late commit); Lost, rows the target
	// had lost (removed there by hand). Neither is kept in rows_late: the
	// run's notes say them.
	SetBack, Lost int64
}

// Target writes the rows of one declared table and keeps its state.
type Target interface {
	// Claim starts a run: it raises the table's fencing version and returns
	// the stored state under the new version, paused flag included. Any run
	// still holding an older version can no longer write.
	Claim(ctx context.Context, table string) (State, error)

	// WritePage upserts rows (in the target's column order) and moves the
	// table's position to pos, in one transaction, only while st.Version is
	// still the table's version; otherwise it writes nothing and returns
	// ErrFenced (ErrPaused when the version moved because the table was
	// paused). A deadlock or lock wait timeout retries the whole
	// transaction. Writing the same page twice is harmless.
	WritePage(ctx context.Context, st State, rows []Row, pos Position) (WriteStats, error)

	// StartRun records a run as begun and returns its id; FinishRun
	// records its end, counts and error.
	StartRun(ctx context.Context, r RunRecord) (int64, error)
	FinishRun(ctx context.Context, r RunRecord) error
}

// ErrDeclaration marks an error no retry can fix: the declaration names
// columns or types the source does not have, or a mapping that cannot
// work. A queue gives up on such a run instead of retrying it.
var ErrDeclaration = errors.New("the declaration does not fit the source or target")

// declarationError keeps its message and matches ErrDeclaration.
type declarationError struct{ error }

func (e declarationError) Is(target error) bool { return target == ErrDeclaration }
func (e declarationError) Unwrap() error        { return e.error }

// declarationErrorf formats an error that matches ErrDeclaration.
func declarationErrorf(format string, a ...any) error {
	return declarationError{fmt.Errorf(format, a...)}
}

// ErrorClass says whether retrying can fix an error.
type ErrorClass int

// Classes of errors, as a dialect's Classify tells them.
const (
	// ClassUnknown: the dialect does not know the error (not its driver's).
	ClassUnknown ErrorClass = iota
	// ClassTransient: a retry may succeed (a connection refused or cut, a
	// deadlock, a lock wait timeout, a server shutting down).
	ClassTransient
	// ClassPermanent: only a change by a person fixes it (a wrong
	// password, an unknown column or table, SQL that does not parse, a
	// missing permission).
	ClassPermanent
)
