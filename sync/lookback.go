package datasync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// The lookback: a row whose transaction committed after a run passed its
// cursor value (a commit later than settle), or whose cursor was set
// back, sits behind the stored cursor where no run reads. Each run
// compares the window just behind the cursor (lookback long) with the
// target and writes again what differs. Where the target holds the
// cursor's column, the window is compared by aggregates first (see
// lookback_span.go) and by key only where they differ; else by key and
// whole-row hash (lookback_keys.go). Why a row differs is judged from
// what the comparison saw (lookback_why.go).

// lookback carries one comparison of the window behind a position.
type lookback struct {
	o        Options
	src, tgt *verifySide
	// narrowed is true when the target holds the column the cursor
	// feeds: the sides are compared by key and cursor value (see
	// cursorOnly), and tcur is that column in the target.
	narrowed bool
	tcur     column
	window   span // from the window's start to the stored position
	judge    judge
	// spans counts the parts compared by aggregates, byKey the source
	// rows compared by key: what the comparison cost, logged.
	spans, byKey int64
}

// newLookback returns the lookback of a run from position pos, or nil
// when there is none: lookback 0, a cursor that is not a time (an integer
// or rowversion cursor has no duration to look back by), or a window
// already found settled.
func newLookback(o Options, pos Position) (*lookback, error) {
	t, ok := pos.Cursor.(time.Time)
	if !ok || o.Table.Lookback <= 0 {
		return nil, nil
	}
	// Without them the lookback could not run: an error, not a silent skip.
	src, ok := o.Source.(*SQLSource)
	if !ok || o.Current == nil {
		return nil, fmt.Errorf("%s: lookback %v needs an SQL source and the target table read as one (no target table?)", o.Table.Name, o.Table.Lookback)
	}
	if settled(o, pos) {
		return nil, nil
	}
	sc, ok1 := src.d.(Checksummer)
	tc, ok2 := o.Current.d.(Checksummer)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: lookback: the dialect cannot checksum rows", o.Table.Name)
	}
	tc, err := matchEncoding(sc, tc)
	if err != nil {
		return nil, fmt.Errorf("%s: lookback: %w", o.Table.Name, err)
	}
	m := cursorOnly(o.Mapping)
	s, tg, err := pairSides(src, o.Current, sc, tc, m, true, &VerifyReport{})
	if err != nil {
		return nil, fmt.Errorf("%s: lookback: %w", o.Table.Name, err)
	}
	l := &lookback{o: o, src: s, tgt: tg, window: span{lo: Position{Cursor: t.Add(-o.Table.Lookback)}, hi: pos},
		judge: newJudge(o, pos)}
	if len(m.Columns) == 1 && m.From[0] == m.Cursor && len(tg.cols) == 1 {
		l.narrowed, l.tcur = true, tg.cols[0]
	}
	return l, nil
}

// cursorOnly narrows m to the target column the source's cursor feeds:
// the lookback looks for rows whose version in the target is not the
// source's, and a row's version is its cursor value (every change moves
// it, as every incremental run relies on), so the cursor alone finds a
// late row (missing in the target, or there with an older value) and a
// row set back (a newer value in the target), at a fraction of the cost
// of hashing whole rows' canonical text, and it lets the target count
// and sum a part of the window along its cursor index. A mapping that
// does not carry the cursor into the target compares whole rows, by key.
func cursorOnly(m Mapping) Mapping {
	for i, from := range m.From {
		if from == m.Cursor {
			n := m
			n.Columns, n.From = []string{m.Columns[i]}, []int{from}
			return n
		}
	}
	return m
}

// found is what the comparison of a part of the window found: the keys
// of the rows to write again, the keys of the rows to delete (deleted_when
// holds, the target still has the row), and why they differ.
type found struct {
	repair, gone [][]any
	why          whyCounts
}

// compare walks the window and hands what differs to emit, part by part
// in (cursor, key) order.
func (l *lookback) compare(ctx context.Context, emit func(context.Context, found) error) error {
	if !l.narrowed {
		return l.keys(ctx, l.window, emit)
	}
	return l.compareSpan(ctx, l.window, 0, emit)
}

// A window is settled once the source's clock has passed the cursor by
// lookback and a comparison found it (or made it) equal: every row of it
// committed at most lookback late is in. While the cursor stays there (a
// quiet table), later runs skip the comparison, so a quiet run costs
// what it did without one. A row whose cursor is set back into a settled
// window is not seen: reconcile finds it.

// settled reports whether the window behind pos was found settled by a
// run of this process.
func settled(o Options, pos Position) bool {
	s := o.Current.settled.Load()
	return s != nil && *s == pos.String()
}

// settle records the window behind pos as settled when hi, the run's
// upper bound (the source's clock minus settle), is past it by lookback.
func settle(o Options, pos Position, hi any) {
	t, ok1 := pos.Cursor.(time.Time)
	h, ok2 := hi.(time.Time)
	if ok1 && ok2 && !h.Add(o.Table.Settle).Before(t.Add(o.Table.Lookback)) {
		k := pos.String()
		o.Current.settled.Store(&k)
	}
}

// lookBack compares the window behind the claimed position with the
// target and writes again, in fenced page transactions at the run's
// current position (rec.CursorAfter: the claimed one, or where the run's
// pages took it), the rows that differ or are missing, and removes those
// deleted_when marks; they are counted by why (see judge).
func lookBack(ctx context.Context, o Options, st State, hi any, rec *RunRecord, log zerolog.Logger) (err error) {
	l, err := newLookback(o, st.Position)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			passed(o, rec.CursorAfter, hi)
		}
	}()
	if l == nil {
		return nil
	}
	defer func() {
		if err == nil {
			settle(o, st.Position, hi)
		}
	}()
	// Small parts that differ are gathered into writes of up to about
	// batch_size rows.
	var held found
	flush := func(ctx context.Context) error {
		if len(held.repair)+len(held.gone) == 0 {
			return nil
		}
		f := held
		held = found{why: held.why}
		return l.write(ctx, st, f, rec)
	}
	err = l.compare(ctx, func(ctx context.Context, f found) error {
		held.repair, held.gone = append(held.repair, f.repair...), append(held.gone, f.gone...)
		held.why = held.why.add(f.why)
		if len(held.repair)+len(held.gone) < o.Table.BatchSize {
			return nil
		}
		return flush(ctx)
	})
	if err == nil {
		err = flush(ctx)
	}
	if err != nil {
		return err
	}
	l.judge.settleLost(&held.why)
	held.why.record(o, rec, log)
	log.Debug().Int64("parts", l.spans).Int64("rows_by_key", l.byKey).Bool("by_cursor", l.narrowed).
		Msg("lookback compared the window behind the cursor")
	return nil
}

// write reads the rows of f.repair again and writes them, with the rows
// of f.gone removed, in one page transaction that keeps the run's current
// position (rec.CursorAfter), never moving it back.
func (l *lookback) write(ctx context.Context, st State, f found, rec *RunRecord) error {
	return bounded(ctx, l.o.Table, func(ctx context.Context) error {
		rows, err := l.src.s.ReadKeys(ctx, f.repair)
		if err != nil {
			return fmt.Errorf("read %d rows behind the cursor of %s again: %w", len(f.repair), l.o.Table.Name, err)
		}
		live, _ := splitPage(rows, l.o.Mapping, len(l.src.s.cols))
		ws, err := writeLive(ctx, l.o.Target, st, live, f.gone, rec.CursorAfter)
		if err != nil {
			return fmt.Errorf("write %d rows behind the cursor of %s again: %w", len(live)+len(f.gone), l.o.Table.Name, err)
		}
		rec.Pages++
		rec.Read += int64(len(rows))
		rec.WriteStats = rec.WriteStats.Add(ws)
		return nil
	})
}

// errFound stops a comparison at the first difference.
var errFound = errors.New("the lookback found a row to write")

// lookbackFinds reports whether the window behind pos holds a row that
// the target lacks or holds otherwise; it writes nothing. A quiet run
// asks it before it folds itself into the state.
func lookbackFinds(ctx context.Context, o Options, pos Position, hi any) (bool, error) {
	l, err := newLookback(o, pos)
	if l == nil || err != nil {
		return false, err
	}
	err = l.compare(ctx, func(context.Context, found) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	if err == nil {
		settle(o, pos, hi)
		passed(o, pos, hi)
	}
	return false, err
}
