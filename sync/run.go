package datasync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/syncd/syncd/tables"
)

// Log field names, the same in every line syncd writes.
const (
	FieldTable   = "table"
	FieldRunID   = "run_id"
	FieldCursor  = "cursor"
	FieldRows    = "rows"
	FieldPage    = "page"
	FieldTrigger = "trigger"
)

// Triggers of a run, as the run log records them.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerRewind   = "rewind"
	TriggerFull     = "full"
)

// Options are the inputs of one run.
type Options struct {
	Table   tables.Table
	Source  Source
	Target  Target
	Mapping Mapping
	Trigger string
	Logger  zerolog.Logger
	// AcceptSchema takes a change of the source's columns as it is (after
	// the target was made to match), instead of stopping the run.
	AcceptSchema bool
	// AfterPage, when set, is called after each committed page with its
	// number (from 1); an error stops the run there. Tests use it to stop a
	// run between pages as a crash would.
	AfterPage func(page int) error
	// Progress, when set, is called after each committed page with the
	// run's record so far, for progress reports.
	Progress func(RunRecord)
	// Cached says that Source and Target were set up by an earlier run in
	// this process, whose comparison of the source's columns passed, and
	// that the source's columns are unchanged since: the run does not
	// compare them again, and a scheduled run that finds nothing is
	// folded into the table's state (see Peeker) instead of the run log.
	Cached bool
	// Current is the target table read as a source (keyed by the mapped
	// key; with deletes: mark, marked rows left out), which the lookback
	// compares the window behind the cursor with; nil: no lookback.
	Current *SQLSource
	// Limiter, when set, holds the table's reads to its rate: each page
	// read is charged to it before it is written.
	Limiter Limiter
}

// Run syncs one table once: it claims the table, reads every source row
// after the stored position up to the run's upper bound in pages, and has
// the target write each page together with the new position. Page N+1 is
// read and prepared (sorted, encoded) while page N is written. On any
// error the target is left at the last committed page boundary with a
// matching position.
func Run(ctx context.Context, o Options) (RunRecord, error) {
	rec := RunRecord{Table: o.Table.Name, Trigger: o.Trigger, Started: time.Now()}
	pre, done, err := peekRun(ctx, o, &rec)
	if done || err != nil {
		return rec, err
	}
	// The claim and the run's first record are bounded by page_timeout as
	// its pages are: a target that stops answering fails the run here too.
	var st State
	err = bounded(ctx, o.Table, func(ctx context.Context) (err error) {
		st, err = o.Target.Claim(ctx, o.Table.Name)
		return err
	})
	if err != nil {
		return rec, fmt.Errorf("claim %s: %w", o.Table.Name, err)
	}
	rec.CursorBefore, rec.CursorAfter = st.Position, st.Position
	if st.Paused {
		// Paused between the queue's check and the claim: no read, and no
		// line in the run log for a run that never began.
		rec.Paused = true
		return rec, ErrPaused
	}
	if o.Cached && pre == nil {
		if err := sourceUnchanged(ctx, o); err != nil {
			return rec, err
		}
	}
	err = bounded(ctx, o.Table, func(ctx context.Context) (err error) {
		rec.ID, err = o.Target.StartRun(ctx, rec)
		return err
	})
	if err != nil {
		return rec, fmt.Errorf("record start of run of %s: %w", o.Table.Name, err)
	}
	st.RunID = rec.ID
	log := o.Logger.With().Str(FieldTable, o.Table.Name).Int64(FieldRunID, rec.ID).Logger()
	if pre != nil && !samePosition(pre.from, st.Position) {
		pre = nil // the state moved since it was read: read again
	}
	err = run(ctx, o, st, &rec, log, pre)
	rec.Ended = time.Now()
	if err != nil {
		rec.Error = err.Error()
		rec.Paused = IsPaused(err)
	}
	// The run's own context may be what ended it; its log line still goes in.
	finishCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := o.Target.FinishRun(finishCtx, rec); ferr != nil && err == nil {
		err = fmt.Errorf("record end of run of %s: %w", o.Table.Name, ferr)
	}
	logRun(log, rec, err)
	return rec, err
}

func logRun(log zerolog.Logger, rec RunRecord, err error) {
	ev := log.Info()
	switch {
	case rec.Paused:
		ev = log.Info().Str("stopped", "table paused")
	case err != nil:
		ev = log.Error().Err(err)
	}
	ev.Str(FieldTrigger, rec.Trigger).Int64(FieldRows, rec.Read).
		Int64("inserted", rec.Inserted).Int64("updated", rec.Updated).Int64("unchanged", rec.Unchanged).Int64("rejected", rec.Rejected).
		Int("pages", rec.Pages).Dur("duration", rec.Ended.Sub(rec.Started)).
		Str("cursor_before", rec.CursorBefore.String()).Str(FieldCursor, rec.CursorAfter.String())
	if rec.Notes != "" {
		ev = ev.Str("notes", rec.Notes)
	}
	ev.Msg("run finished")
}

// run is the page loop of Run.
func run(ctx context.Context, o Options, st State, rec *RunRecord, log zerolog.Logger, pre *prefetch) error {
	if err := checkDeleter(o); err != nil {
		return err
	}
	if !o.Cached {
		note, err := checkSchema(ctx, o, st, log)
		rec.Notes = note
		if err != nil {
			return err
		}
	}
	hi, err := upperBound(ctx, o, pre)
	if err != nil {
		return err
	}
	if hi == nil {
		return nil // an empty source: nothing to read, nothing to bound
	}
	if note := clockBehind(st.Position, hi); note != "" {
		log.Warn().Str(FieldCursor, st.Position.String()).Msg(note)
		rec.Notes = strings.TrimPrefix(rec.Notes+"; "+note, "; ")
	}
	if err := retryRejects(ctx, o, st, rec); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := writePages(ctx, o, st, withOverlap(st.Position, o.Table.Overlap), hi, pre, rec, log); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The window behind the claimed position is compared after the new
	// pages, not before: a run commits its first page at once, so that
	// runs of a duplicated task (Redis flushed under a running one), each
	// superseding the one before, still move the table forward.
	return lookBack(ctx, o, st, hi, rec, log)
}

func writePage(ctx context.Context, o Options, st State, p page, rec *RunRecord, log zerolog.Logger) error {
	pctx, cancel := pageContext(ctx, o.Table)
	ws, err := writeRows(pctx, o, st, p)
	err = timedOut(ctx, pctx, err, o.Table)
	cancel()
	if err != nil {
		return fmt.Errorf("write page %d of %s: %w", rec.Pages+1, o.Table.Name, err)
	}
	rec.Pages++
	rec.Read += int64(len(p.rows))
	rec.WriteStats = rec.WriteStats.Add(ws)
	rec.CursorAfter = p.last
	log.Debug().Int(FieldPage, rec.Pages).Int(FieldRows, len(p.rows)).Str(FieldCursor, p.last.String()).Msg("page written")
	return nil
}

// upperBound is the run's upper bound: the one read before the claim
// when there is one, else the source's.
func upperBound(ctx context.Context, o Options, pre *prefetch) (any, error) {
	if pre != nil {
		return pre.hi, nil
	}
	return timedUpperBound(ctx, o)
}

// readPagesAfter is readPages from start, or, when the first page was
// read before the claim, that page followed by readPages after it.
func readPagesAfter(ctx context.Context, o Options, start Position, hi any, pre *prefetch) <-chan page {
	if pre == nil {
		return readPages(ctx, o.Source, start, hi, o.Table, o.Mapping, o.Limiter)
	}
	out := make(chan page, 1)
	go func() {
		defer close(out)
		select {
		case out <- pre.page:
		case <-ctx.Done():
			return
		}
		if len(pre.page.rows) < o.Table.BatchSize {
			return
		}
		for p := range readPages(ctx, o.Source, pre.page.last, hi, o.Table, o.Mapping, o.Limiter) {
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// samePosition reports whether two positions are the same stored value.
func samePosition(a, b Position) bool {
	ac, ak, aerr := EncodePosition(a)
	bc, bk, berr := EncodePosition(b)
	return aerr == nil && berr == nil && ptrEqual(ac, bc) && ptrEqual(ak, bk)
}

func ptrEqual(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// withOverlap moves a time position back by overlap, inclusive, so that the
// run re-reads that much behind the cursor.
func withOverlap(p Position, overlap time.Duration) Position {
	t, ok := p.Cursor.(time.Time)
	if !ok || overlap <= 0 {
		return p
	}
	return Position{Cursor: t.Add(-overlap)}
}

// page is one read page, or the error that ended reading.
type page struct {
	rows []Row
	last Position
	err  error
	// out are rows projected to the target's columns, and prep the page
	// prepared by the target (preparePages).
	out  []Row
	prep Prepared
	// gone are the keys of the rows source.deleted_when marks deleted,
	// which the page removes from the target (splitPage).
	gone [][]any
}

// readPages reads pages in a goroutine of its own, ahead of the writer:
// while page N is written, N+1 is prepared (preparePages) and N+2 read.
// The channel is unbuffered, so memory stays bounded by about three pages
// whatever the table's size. Each page read is charged to lim (the
// table's rate) before it is handed on. It closes the channel after the
// last page or the first error.
func readPages(ctx context.Context, src Source, pos Position, hi any, t tables.Table, m Mapping, lim Limiter) <-chan page {
	read := func(ctx context.Context, after Position, limit int) ([]Row, error) {
		return src.ReadPage(ctx, after, hi, limit)
	}
	return readPagesWith(ctx, read, pos, t, m, lim)
}

// readPagesWith is readPages with read for the source's ReadPage: a
// snapshot part reads in key order through it.
func readPagesWith(ctx context.Context, read func(ctx context.Context, after Position, limit int) ([]Row, error), pos Position, t tables.Table, m Mapping, lim Limiter) <-chan page {
	out := make(chan page)
	limit := t.BatchSize
	go func() {
		defer close(out)
		for {
			pctx, cancel := pageContext(ctx, t)
			rows, err := read(pctx, pos, limit)
			err = timedOut(ctx, pctx, err, t)
			cancel()
			if err == nil && len(rows) == 0 {
				return
			}
			if err == nil {
				err = waitRate(ctx, lim, t.Name, len(rows))
			}
			p := page{rows: rows, err: err}
			if err == nil {
				pos = m.PositionOf(rows[len(rows)-1])
				p.last = pos
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
			if err != nil || len(rows) < limit {
				return
			}
		}
	}()
	return out
}

// upperBound reads the run's upper bound within the page timeout.
// timedUpperBound reads the source's upper bound within page_timeout.
func timedUpperBound(ctx context.Context, o Options) (any, error) {
	pctx, cancel := pageContext(ctx, o.Table)
	defer cancel()
	hi, err := o.Source.UpperBound(pctx, o.Table.Settle)
	return hi, timedOut(ctx, pctx, err, o.Table)
}

// clockBehind says so when a run's upper bound, read from the source's
// clock, is before the stored time cursor: the clock stepped back since
// the cursor was stored (or cursor_clock names another clock than the
// one that fills the column). Rows the clock stamps now fall below the
// cursor, where no run reads; only a rewind reaches them.
func clockBehind(pos Position, hi any) string {
	cur, ok := pos.Cursor.(time.Time)
	bound, ok2 := hi.(time.Time)
	if !ok || !ok2 || !bound.Before(cur) {
		return ""
	}
	return fmt.Sprintf("the source clock minus settle reads %s, %v behind the stored cursor: it stepped back, or cursor_clock is not the clock that fills the column; "+
		"rows it stamps now fall below the cursor and are not read: once the clock is right, rewind with syncd enqueue --from a time before the step",
		bound.Format(time.RFC3339Nano), cur.Sub(bound).Round(time.Millisecond))
}

// pageContext bounds one page's statements by the table's page_timeout
// (none when zero): a connection that stops answering without closing
// (half-open) then fails the run instead of holding the table until the
// run's own timeout.
func pageContext(ctx context.Context, t tables.Table) (context.Context, context.CancelFunc) {
	if t.PageTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, t.PageTimeout)
}

// timedOut names the page timeout in err when it is what ended pctx
// (and not the run's own context).
func timedOut(ctx, pctx context.Context, err error, t tables.Table) error {
	if err != nil && ctx.Err() == nil && errors.Is(pctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within page_timeout %v (a hung or half-open connection): %w", t.PageTimeout, err)
	}
	return err
}

// IsFenced reports whether err says another run of the table took over.
func IsFenced(err error) bool { return errors.Is(err, ErrFenced) }

// IsPaused reports whether err says the run stopped, or never started,
// because the table is paused.
func IsPaused(err error) bool { return errors.Is(err, ErrPaused) }
