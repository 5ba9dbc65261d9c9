package datasync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// The lookback: a row whose transaction committed after a run passed its
// cursor value (a commit later than settle), or whose cursor was set
// back, sits behind the stored cursor where no run reads. Each run
// compares the window just behind the cursor (lookback long) with the
// target by key and cursor value (see cursorOnly), and writes again what
// differs.

// windowRow is one source row of the window: its key as canonical text
// and as values, its row hash, whether deleted_when holds for it, and
// its position.
type windowRow struct {
	key     string
	vals    []any
	hash    int64
	deleted bool
	pos     Position
}

// lookback carries one comparison of the window behind a position.
type lookback struct {
	o        Options
	src, tgt *verifySide
	from     Position // next window page starts after it
	end      Position // the stored position: the window ends there
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
	s, tg, err := pairSides(src, o.Current, sc, tc, cursorOnly(o.Mapping), true, &VerifyReport{})
	if err != nil {
		return nil, fmt.Errorf("%s: lookback: %w", o.Table.Name, err)
	}
	return &lookback{o: o, src: s, tgt: tg, from: Position{Cursor: t.Add(-o.Table.Lookback)}, end: pos}, nil
}

// cursorOnly narrows m to the target column the source's cursor feeds:
// the lookback looks for rows whose version in the target is not the
// source's, and a row's version is its cursor value (every change moves
// it, as every incremental run relies on), so the cursor alone finds a
// late row (missing in the target, or there with an older value) and a
// row set back (a newer value in the target), at a fraction of the cost
// of hashing whole rows' canonical text, tens of microseconds a row on
// each server: a bulk change leaves its rows in the window behind the
// next run's cursor, and each of them is compared. A mapping that does
// not carry the cursor into the target compares whole rows.
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

// next reads the next page of the window and returns what differs in the
// target: keys to write again, keys to delete (deleted_when holds, the
// target still has the row); done once the window is read.
func (l *lookback) next(ctx context.Context) (repair, gone [][]any, done bool, err error) {
	var rows []windowRow
	var held map[string]int64
	err = bounded(ctx, l.o.Table, func(ctx context.Context) (err error) {
		if rows, err = l.src.windowPage(ctx, l.from, l.end, l.o.Table.BatchSize); err != nil || len(rows) == 0 {
			return err
		}
		held, err = l.tgt.hashesOf(ctx, rows)
		return err
	})
	if err != nil || len(rows) == 0 {
		return nil, nil, true, err
	}
	for _, r := range rows {
		h, ok := held[r.key]
		switch {
		case r.deleted && ok:
			gone = append(gone, r.vals)
		case !r.deleted && (!ok || h != r.hash):
			repair = append(repair, r.vals)
		}
	}
	l.from = rows[len(rows)-1].pos
	return repair, gone, len(rows) < l.o.Table.BatchSize, nil
}

// windowPage returns up to limit source rows after from, at or before
// end in (cursor, key) order, read along the (cursor, key) index as a
// page is, with their key text and row hash computed in the source.
func (v *verifySide) windowPage(ctx context.Context, from, end Position, limit int) ([]windowRow, error) {
	p := &params{d: v.s.d}
	where, err := pageWhere(p, v.bind, v.s.cursor, v.s.keys, from, end.Cursor)
	if err != nil {
		return nil, err
	}
	behind, err := notAfter(p, v.bind, v.s.cursor, v.s.keys, end)
	if err != nil {
		return nil, err
	}
	where += " AND " + behind + v.s.whereSuffix(" AND ")
	deleted := "0"
	if v.s.table.Source.DeletedWhen != "" {
		deleted = v.s.deletedCase()
	}
	order := []string{v.s.cursor.quoted}
	for _, k := range v.keys {
		order = append(order, k.quoted)
	}
	sel := strings.Join(order, ", ") + ", " + rowText(v.c, v.keys, v.keyFams) + " AS syncd_key, " +
		v.c.Hash32(rowText(v.c, v.cols, v.fams)) + " AS syncd_hash, " + deleted + " AS " + deletedAlias
	q := v.s.d.SelectPage(sel, v.s.from, where, strings.Join(order, ", "), p.add(int64(limit)))
	rows, err := v.s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return nil, fmt.Errorf("read the lookback window of %s after %s: %w", v.s.name(), from, err)
	}
	defer rows.Close()
	var out []windowRow
	for rows.Next() {
		r, err := v.scanWindow(rows)
		if err != nil {
			return nil, fmt.Errorf("read the lookback window of %s: %w", v.s.name(), err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// scanWindow reads one row of windowPage.
func (v *verifySide) scanWindow(rows interface{ Scan(...any) error }) (windowRow, error) {
	var r windowRow
	var flag any
	raw := make([]any, 1+len(v.keys))
	dest := make([]any, 0, len(raw)+3)
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	if err := rows.Scan(append(dest, &r.key, &r.hash, &flag)...); err != nil {
		return r, err
	}
	cur, err := v.s.conv[ColumnIndex(v.s.Columns()).must(v.s.cursor.Name)](raw[0])
	if err != nil {
		return r, err
	}
	if r.vals, err = v.convertKey(raw[1:]); err != nil {
		return r, err
	}
	f, err := deletedFlag(flag)
	r.deleted, r.pos = f == 1, Position{Cursor: cur, Key: r.vals}
	return r, err
}

// notAfter is the condition of the rows at or before pos in (cursor,
// key) order, given that the cursor is at most pos's: with no key (an
// inclusive position) the rows at its cursor value are not read yet.
func notAfter(p *params, bind binder, cur column, keys []column, pos Position) (string, error) {
	c, err := bind(cur, pos.Cursor)
	if err != nil {
		return "", err
	}
	if pos.Key == nil {
		return cur.quoted + " < " + p.add(c), nil
	}
	head := "NOT (" + cur.quoted + " = " + p.add(c) + " AND "
	after, err := keysAfter(p, bind, keys, pos.Key)
	if err != nil {
		return "", err
	}
	return head + after + ")", nil
}

// hashesOf returns the target's row hash of each key of rows it holds
// (by key text), in statements of at most keysPerRead keys.
func (v *verifySide) hashesOf(ctx context.Context, rows []windowRow) (map[string]int64, error) {
	out := make(map[string]int64, len(rows))
	for len(rows) > 0 {
		n := min(keysPerRead, len(rows))
		if err := v.hashBatch(ctx, rows[:n], out); err != nil {
			return nil, err
		}
		rows = rows[n:]
	}
	return out, nil
}

// keysPerRead bounds the keys of one statement that reads rows by key.
const keysPerRead = 1000

func (v *verifySide) hashBatch(ctx context.Context, rows []windowRow, out map[string]int64) error {
	p := &params{d: v.s.d}
	where, err := v.keysWhere(p, rows)
	if err != nil {
		return err
	}
	q := "SELECT " + rowText(v.c, v.keys, v.keyFams) + ", " + v.c.Hash32(rowText(v.c, v.cols, v.fams)) + " FROM " + v.s.from +
		" WHERE " + where + v.s.liveSuffix(" AND ")
	res, err := v.s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return fmt.Errorf("hash rows of %s by key: %w", v.s.name(), err)
	}
	defer res.Close()
	for res.Next() {
		var key string
		var h int64
		if err := res.Scan(&key, &h); err != nil {
			return fmt.Errorf("hash rows of %s by key: %w", v.s.name(), err)
		}
		out[key] = h
	}
	return res.Err()
}

// keysWhere is the condition of the rows with the keys of rows: an IN
// list for a key of one column (a server looks each value up in order;
// a long OR of equalities costs MariaDB several times as much to plan),
// else one OR of key equalities per row.
func (v *verifySide) keysWhere(p *params, rows []windowRow) (string, error) {
	if len(v.keys) == 1 {
		k := v.keys[0]
		in := make([]string, len(rows))
		for i, r := range rows {
			b, err := v.bind(k, r.vals[0])
			if err != nil {
				return "", fmt.Errorf("%s: bind key %v: %w", v.s.name(), r.vals, err)
			}
			in[i] = p.add(b)
		}
		return k.quoted + " IN (" + strings.Join(in, ", ") + ")", nil
	}
	ors := make([]string, len(rows))
	for i, r := range rows {
		ands := make([]string, len(v.keys))
		for j, k := range v.keys {
			b, err := v.bind(k, r.vals[j])
			if err != nil {
				return "", fmt.Errorf("%s: bind key %v: %w", v.s.name(), r.vals, err)
			}
			ands[j] = k.quoted + " = " + p.add(b)
		}
		ors[i] = "(" + strings.Join(ands, " AND ") + ")"
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
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
// deleted_when marks; they are counted as late rows.
func lookBack(ctx context.Context, o Options, st State, hi any, rec *RunRecord, log zerolog.Logger) (err error) {
	l, err := newLookback(o, st.Position)
	if l == nil || err != nil {
		return err
	}
	defer func() {
		if err == nil {
			settle(o, st.Position, hi)
		}
	}()
	for done := false; !done; {
		var repair, gone [][]any
		if repair, gone, done, err = l.next(ctx); err != nil {
			return err
		}
		if len(repair)+len(gone) == 0 {
			continue
		}
		if err = l.write(ctx, st, repair, gone, rec); err != nil {
			return err
		}
	}
	if rec.Late > 0 {
		log.Warn().Int64("late_rows", rec.Late).Dur("lookback", o.Table.Lookback).Dur("settle", o.Table.Settle).
			Msg("rows committed behind the cursor later than settle were written again: raise settle to avoid them")
	}
	return nil
}

// write reads the rows of repair again and writes them, with the rows of
// gone removed, in one page transaction that keeps the run's current
// position (rec.CursorAfter), never moving it back.
func (l *lookback) write(ctx context.Context, st State, repair, gone [][]any, rec *RunRecord) error {
	return bounded(ctx, l.o.Table, func(ctx context.Context) error {
		rows, err := l.src.s.ReadKeys(ctx, repair)
		if err != nil {
			return fmt.Errorf("read %d late rows of %s: %w", len(repair), l.o.Table.Name, err)
		}
		live, _ := splitPage(rows, l.o.Mapping, len(l.src.s.cols))
		ws, err := writeLive(ctx, l.o.Target, st, live, gone, rec.CursorAfter)
		if err != nil {
			return fmt.Errorf("write %d late rows of %s: %w", len(live)+len(gone), l.o.Table.Name, err)
		}
		rec.Pages++
		rec.Read += int64(len(rows))
		rec.WriteStats = rec.WriteStats.Add(ws)
		rec.Late += ws.Inserted + ws.Updated + ws.Deleted
		return nil
	})
}

// lookbackFinds reports whether the window behind pos holds a row that
// the target lacks or holds otherwise; it writes nothing. A quiet run
// asks it before it folds itself into the state.
func lookbackFinds(ctx context.Context, o Options, pos Position, hi any) (bool, error) {
	l, err := newLookback(o, pos)
	if l == nil || err != nil {
		return false, err
	}
	for {
		repair, gone, done, err := l.next(ctx)
		if err != nil || len(repair)+len(gone) > 0 {
			return err == nil, err
		}
		if done {
			settle(o, pos, hi)
			return false, nil
		}
	}
}
