package datasync

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
)

// Grouper is a Preparer that can merge several pages in one transaction:
// a run far behind (merge_pages above 1) stages its full pages on the
// target apart from the table and merges them, with the position of the
// last one, in one transaction. The target's table is then swept once per
// group instead of once per page, which is what a catch-up of keys spread
// over a table larger than the server's cache costs.
type Grouper interface {
	// OpenGroup begins a group of pages for one run; nil, nil when the
	// target cannot stage (the caller writes page by page). The caller
	// closes it.
	OpenGroup(ctx context.Context) (Group, error)
}

// Group holds pages staged for one merge. Staging touches neither the
// table nor the position: a crash while pages are staged loses only the
// stage, and the next run reads them again from the stored position.
type Group interface {
	// Add stages a prepared page. ok is false when the page cannot be
	// staged (a value the stage cannot carry); nothing was staged then,
	// and the caller writes the page by itself.
	Add(ctx context.Context, p Prepared) (ok bool, err error)
	// Merge writes every staged page into the table, the later page of a
	// key last, and moves the position to pos, in one transaction, fenced
	// by st.Version as WritePage is; the stage is empty after it, whatever
	// its outcome. An error matching ErrGroupRefused says the server
	// refused a value: nothing was written, and the pages must be written
	// one by one (where bad rows are isolated).
	Merge(ctx context.Context, st State, pos Position) (WriteStats, error)
	// Close drops the stage and gives back its connection.
	Close() error
}

// ErrGroupRefused marks a group merge the server refused for a value.
var ErrGroupRefused = errors.New("the merge of staged pages was refused for a value")

// writePages writes the run's pages from start: merged in groups when
// the declaration asks for it (merge_pages) and the target can stage,
// else page by page. A group merge refused for a value has the rest of
// the run, from the last committed position, written page by page, where
// the bad rows are isolated.
func writePages(ctx context.Context, o Options, st State, start Position, hi any, pre *prefetch, rec *RunRecord, log zerolog.Logger) error {
	g, err := openGroup(ctx, o)
	if err != nil {
		return err
	}
	if g == nil {
		return pageByPage(ctx, o, st, preparePages(ctx, o, readPagesAfter(ctx, o, start, hi, pre)), rec, log)
	}
	defer g.Close() //nolint:errcheck // the stage goes with its session anyway
	gctx, cancel := context.WithCancel(ctx)
	ungroup, err := grouped(gctx, o, st, g, preparePages(gctx, o, readPagesAfter(gctx, o, start, hi, pre)), rec, log)
	cancel() // stops the reader of the pages left unread
	if !ungroup {
		return err
	}
	log.Warn().Err(err).Msg("merging staged pages was refused for a value: the rest of the run is written page by page")
	if rec.Pages > 0 {
		start = rec.CursorAfter
	}
	return pageByPage(ctx, o, st, preparePages(ctx, o, readPagesAfter(ctx, o, start, hi, nil)), rec, log)
}

// openGroup opens the run's group of pages when merge_pages asks for
// more than one page per transaction and the target is a Grouper.
func openGroup(ctx context.Context, o Options) (Group, error) {
	gr, ok := o.Target.(Grouper)
	if !ok || o.Table.MergePages <= 1 {
		return nil, nil
	}
	pctx, cancel := pageContext(ctx, o.Table)
	defer cancel()
	g, err := gr.OpenGroup(pctx)
	if err = timedOut(ctx, pctx, err, o.Table); err != nil {
		return nil, fmt.Errorf("open a group of pages of %s: %w", o.Table.Name, err)
	}
	return g, nil
}

// pageByPage writes each page in a transaction of its own.
func pageByPage(ctx context.Context, o Options, st State, pages <-chan page, rec *RunRecord, log zerolog.Logger) error {
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if err := writePage(ctx, o, st, p, rec, log); err != nil {
			return err
		}
		if err := afterPages(o, rec); err != nil {
			return err
		}
	}
	return nil
}

// grouped is the page loop of a run that merges up to merge_pages pages
// per transaction. Pages it cannot stage (rows source.deleted_when marks
// deleted, values the stage cannot carry) are written alone, after the
// pages staged before them. ungroup is true when a merge was refused for
// a value: the caller reads again from rec.CursorAfter page by page.
func grouped(ctx context.Context, o Options, st State, g Group, pages <-chan page, rec *RunRecord, log zerolog.Logger) (ungroup bool, err error) {
	var staged pending
	flush := func() error {
		if staged.pages == 0 {
			return nil
		}
		err := mergeGroup(ctx, o, st, g, &staged, rec, log)
		staged = pending{}
		return err
	}
	for p := range pages {
		if p.err != nil {
			// What was staged before the read failed is still good.
			return false, errors.Join(p.err, flush())
		}
		ok, err := addPage(ctx, o, g, p)
		if err != nil {
			return false, err
		}
		if !ok {
			if err := flush(); err != nil {
				return errors.Is(err, ErrGroupRefused), err
			}
			if err := writePage(ctx, o, st, p, rec, log); err != nil {
				return false, err
			}
			if err := afterPages(o, rec); err != nil {
				return false, err
			}
			continue
		}
		staged.add(p)
		// A short page is the last: merge at once instead of waiting
		// for a read that finds nothing.
		if staged.pages >= o.Table.MergePages || len(p.rows) < o.Table.BatchSize {
			if err := flush(); err != nil {
				return errors.Is(err, ErrGroupRefused), err
			}
		}
	}
	if err := flush(); err != nil {
		return errors.Is(err, ErrGroupRefused), err
	}
	return false, ctx.Err()
}

// pending counts the pages staged since the last merge.
type pending struct {
	pages int
	rows  int64
	last  Position
}

func (s *pending) add(p page) {
	s.pages++
	s.rows += int64(len(p.rows))
	s.last = p.last
}

// addPage stages p within page_timeout; a page that deletes rows, or
// that the target did not prepare, is not staged.
func addPage(ctx context.Context, o Options, g Group, p page) (bool, error) {
	if p.prep == nil || len(p.gone) > 0 {
		return false, nil
	}
	pctx, cancel := pageContext(ctx, o.Table)
	defer cancel()
	ok, err := g.Add(pctx, p.prep)
	if err = timedOut(ctx, pctx, err, o.Table); err != nil {
		return false, fmt.Errorf("stage a page of %d rows of %s: %w", len(p.rows), o.Table.Name, err)
	}
	return ok, nil
}

// mergeGroup merges the staged pages within page_timeout and counts them
// as committed pages.
func mergeGroup(ctx context.Context, o Options, st State, g Group, s *pending, rec *RunRecord, log zerolog.Logger) error {
	pctx, cancel := pageContext(ctx, o.Table)
	ws, err := g.Merge(pctx, st, s.last)
	err = timedOut(ctx, pctx, err, o.Table)
	cancel()
	if err != nil {
		return fmt.Errorf("merge pages %d to %d of %s: %w", rec.Pages+1, rec.Pages+s.pages, o.Table.Name, err)
	}
	rec.Pages += s.pages
	rec.Read += s.rows
	rec.WriteStats = rec.WriteStats.Add(ws)
	rec.CursorAfter = s.last
	log.Debug().Int(FieldPage, rec.Pages).Int64(FieldRows, s.rows).Int("merged_pages", s.pages).Str(FieldCursor, s.last.String()).Msg("pages merged")
	return afterPages(o, rec)
}

// afterPages reports the pages committed so far to Progress and
// AfterPage.
func afterPages(o Options, rec *RunRecord) error {
	if o.Progress != nil {
		o.Progress(*rec)
	}
	if o.AfterPage != nil {
		return o.AfterPage(rec.Pages)
	}
	return nil
}
