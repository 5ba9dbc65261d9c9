package datasync

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Peek is a table's stored state as read without claiming it.
type Peek struct {
	State
	// Pages counts the pages ever written to the table's state; with the
	// version it tells whether the state moved since it was read.
	Pages int64
	// Rejects is true when rows of the table wait in the rejects table.
	Rejects bool
}

// Peeker is a Target that lets a scheduled run find out that it has
// nothing to do at the cost of one read and one write, and that folds
// such runs into the table's state instead of the run log.
type Peeker interface {
	// Peek reads the table's state without claiming it; ok is false when
	// the table has no state yet.
	Peek(ctx context.Context, table string) (p Peek, ok bool, err error)
	// FoldEmpty raises the table's fencing version and records r, a run
	// that found nothing, on the table's state, in one write, only while
	// the state is still as p read it; false when it moved (nothing is
	// written then).
	FoldEmpty(ctx context.Context, p Peek, r RunRecord) (bool, error)
}

// ErrSetupStale is returned by a Cached run, before it reads or records
// anything, when the source's columns are no longer those its setup was
// made for (or could not be probed): the caller sets the table up again
// and runs it with Cached false, which compares the columns and says
// what changed.
var ErrSetupStale = errors.New("the source's columns changed since the run was set up")

// ShapeChecker is a Source that can tell, with one cheap statement,
// whether its columns changed since it was opened. A Cached run asks it
// first; a Source without it is never run as Cached.
type ShapeChecker interface {
	ColumnsChanged(ctx context.Context) (bool, error)
}

// sourceUnchanged returns ErrSetupStale unless the source of a Cached run
// says its columns are as they were.
func sourceUnchanged(ctx context.Context, o Options) error {
	sc, ok := o.Source.(ShapeChecker)
	if !ok {
		return fmt.Errorf("%s: %w (the source cannot tell)", o.Table.Name, ErrSetupStale)
	}
	changed, err := sc.ColumnsChanged(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", o.Table.Name, ErrSetupStale, err)
	}
	if changed {
		return fmt.Errorf("%s: %w", o.Table.Name, ErrSetupStale)
	}
	return nil
}

// prefetch is what a peeking run read before it claimed the table: the
// upper bound and the first page after the peeked position.
type prefetch struct {
	from Position
	hi   any
	page page
}

// peekRun is the start of a cached, scheduled run: it reads the state
// without claiming it and the source up to the first page. A run that
// finds nothing is folded into the state with one write and done is
// true. Otherwise the caller claims the table as usual, and pre (when not
// nil) holds what was read, to be used when the claim finds the same
// position.
func peekRun(ctx context.Context, o Options, rec *RunRecord) (pre *prefetch, done bool, err error) {
	pk, ok := o.Target.(Peeker)
	if !ok || !o.Cached || o.Trigger != TriggerSchedule || o.AcceptSchema {
		return nil, false, nil
	}
	p, ok, err := pk.Peek(ctx, o.Table.Name)
	if err != nil || !ok || p.Rejects {
		return nil, false, err
	}
	rec.CursorBefore, rec.CursorAfter = p.Position, p.Position
	if p.Paused {
		rec.Paused = true
		return nil, true, ErrPaused
	}
	// The peek's source reads are bounded like a page's: a half-open
	// connection then falls through to the claimed run, which fails it.
	pctx, cancel := pageContext(ctx, o.Table)
	defer cancel()
	if err := sourceUnchanged(pctx, o); err != nil {
		return nil, true, err
	}
	hi, err := o.Source.UpperBound(pctx, o.Table.Settle)
	if err != nil || clockBehind(p.Position, hi) != "" {
		// Claimed and recorded as usual, so that the failure, or the
		// clock that stepped back, is in the log and the run's notes.
		return nil, false, nil
	}
	pre = &prefetch{from: p.Position, hi: hi}
	if hi != nil {
		rows, err := o.Source.ReadPage(pctx, withOverlap(p.Position, o.Table.Overlap), hi, o.Table.BatchSize)
		if err != nil {
			return nil, false, nil
		}
		if len(rows) > 0 {
			if err := waitRate(ctx, o.Limiter, o.Table.Name, len(rows)); err != nil {
				return nil, true, err
			}
			pre.page = page{rows: rows, last: o.Mapping.PositionOf(rows[len(rows)-1])}
			return pre, false, nil
		}
	}
	if found, err := lookbackFinds(pctx, o, p.Position, hi); err != nil || found {
		// Late rows to write (or a failure to say): claimed and recorded.
		return nil, false, nil
	}
	rec.Ended = time.Now()
	folded, err := pk.FoldEmpty(ctx, p, *rec)
	if err != nil {
		return nil, false, fmt.Errorf("record empty run of %s: %w", o.Table.Name, err)
	}
	if folded {
		// At debug: a hundred quiet tables would otherwise fill the log.
		o.Logger.Debug().Str(FieldTable, o.Table.Name).Str(FieldTrigger, rec.Trigger).Dur("duration", rec.Ended.Sub(rec.Started)).
			Str(FieldCursor, rec.CursorAfter.String()).Msg("run found nothing; folded into the table's state")
	}
	// A state that moved meanwhile (another run, a rewind, a pause) is
	// claimed and read again from the start.
	return nil, folded, nil
}
