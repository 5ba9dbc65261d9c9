package datasync

import (
	"context"
	"fmt"
	"strings"
)

// The lookback's comparison by aggregates. After a bulk change the
// window behind the next run's cursor holds every row that change wrote;
// comparing each of them by key costs as much as writing them did. So a
// part of the window is first compared by a count and a sum of row hashes
// on each side, computed in each database (the hashes are verify's: the
// canonical text of the key and the cursor value, Hash32 of it), the
// target reading its rows along its cursor index (target.create's
// syncd_cursor), and only a part whose aggregates differ is cut smaller,
// down to parts of batch_size source rows compared by key.
//
// Equal aggregates mean nothing to write: a source row the target lacks,
// holds at another cursor value or under another key changes the count or
// the sum, save a collision of 32-bit sums that verify accepts too. A
// source row deleted_when marks is not counted: a part that holds one is
// compared by key, since only its key tells whether the target still
// holds it.

// span is a part of the window: the rows after lo up to and including
// hi, in (cursor, key) order; lo without a key (the window's start)
// takes the rows at its cursor value in.
type span struct{ lo, hi Position }

// lookbackPieces is how many parts a span whose aggregates differ is cut
// into.
const lookbackPieces = 16

// sums is one side's aggregate of a span: its rows, the sum of their
// hashes, and (source side) the rows deleted_when marks.
type sums struct{ n, sum, deleted int64 }

// compareSpan compares sp by its aggregates and, where they differ, its
// parts, down to keys (see keys). parent is the source rows of the
// enclosing span (0 for the window): a part no smaller than it (rows
// written meanwhile) is compared by key at once, so that the cutting
// ends.
func (l *lookback) compareSpan(ctx context.Context, sp span, parent int64, emit func(context.Context, found) error) error {
	l.spans++
	s, t, err := l.bothSums(ctx, sp)
	if err != nil || (s.deleted == 0 && s.n == t.n && s.sum == t.sum) {
		return err
	}
	if s.n <= int64(l.o.Table.BatchSize) || (parent > 0 && s.n >= parent) {
		return l.keys(ctx, sp, emit)
	}
	var cuts []Position
	err = bounded(ctx, l.o.Table, func(ctx context.Context) (err error) {
		// Parts of batch_size rows at least: each is compared by key at once.
		cuts, err = l.src.spanCuts(ctx, sp, max((s.n+lookbackPieces-1)/lookbackPieces, int64(l.o.Table.BatchSize)))
		return err
	})
	if err != nil {
		return err
	}
	lo := sp.lo
	for _, hi := range append(cuts, sp.hi) {
		if err := l.compareSpan(ctx, span{lo: lo, hi: hi}, s.n, emit); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// bothSums computes the aggregates of sp on both sides at once: each
// server hashes its rows while the other does.
func (l *lookback) bothSums(ctx context.Context, sp span) (s, t sums, err error) {
	err = bounded(ctx, l.o.Table, func(ctx context.Context) error {
		return atOnce(ctx, func(ctx context.Context) (err error) {
			s, err = l.src.spanSums(ctx, l.src.s.cursor, sp)
			return err
		}, func(ctx context.Context) (err error) {
			t, err = l.tgt.spanSums(ctx, l.tcur, sp)
			return err
		})
	})
	return s, t, err
}

// spanWhere is the condition of the rows of sp on side v, whose column
// cur holds the cursor value, declared filter included.
func (v *verifySide) spanWhere(p *params, cur column, sp span) (string, error) {
	where, err := pageWhere(p, v.bind, cur, v.keys, sp.lo, sp.hi.Cursor)
	if err != nil {
		return "", err
	}
	behind, err := notAfter(p, v.bind, cur, v.keys, sp.hi)
	if err != nil {
		return "", err
	}
	return where + " AND " + behind + v.s.whereSuffix(" AND "), nil
}

// spanSums counts the rows of sp on side v and sums the hashes of their
// key and cursor value (the target's cursor column cur). On the target,
// the marked rows of deletes: mark are left out by its filter.
func (v *verifySide) spanSums(ctx context.Context, cur column, sp span) (sums, error) {
	p := &params{d: v.s.d}
	where, err := v.spanWhere(p, cur, sp)
	if err != nil {
		return sums{}, err
	}
	cols := append(append([]column{}, v.keys...), v.cols...)
	fams := append(append([]Family{}, v.keyFams...), v.fams...)
	deleted := "0"
	if v.s.table.Source.DeletedWhen != "" {
		deleted = "COALESCE(SUM(" + v.s.deletedCase() + "), 0)"
	}
	q := "SELECT COUNT(*), COALESCE(SUM(" + v.c.Hash32(rowText(v.c, cols, fams)) + "), 0), " + deleted + " FROM " + v.s.from + " WHERE " + where
	var s sums
	if err := v.s.db.QueryRowContext(ctx, q, p.vals...).Scan(&s.n, &s.sum, &s.deleted); err != nil {
		return sums{}, fmt.Errorf("checksum the lookback window of %s up to %s: %w", v.s.name(), sp.hi, err)
	}
	return s, nil
}

// spanCuts returns the positions that end the parts of step source rows
// of sp (its step-th row, its 2·step-th, ...), taken in the source along
// its (cursor, key) index.
func (v *verifySide) spanCuts(ctx context.Context, sp span, step int64) ([]Position, error) {
	p := &params{d: v.s.d}
	where, err := v.spanWhere(p, v.s.cursor, sp)
	if err != nil {
		return nil, err
	}
	names := []string{v.s.cursor.quoted}
	for _, k := range v.keys {
		names = append(names, k.quoted)
	}
	list := strings.Join(names, ", ")
	q := "SELECT " + list + " FROM (SELECT " + list + ", ROW_NUMBER() OVER (ORDER BY " + list + ") AS syncd_rn FROM " +
		v.s.from + " WHERE " + where + ") syncd_b WHERE syncd_rn % " + p.add(step) + " = 0 ORDER BY " + list
	rows, err := v.s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return nil, fmt.Errorf("cut the lookback window of %s: %w", v.s.name(), err)
	}
	defer rows.Close()
	conv := v.s.conv[ColumnIndex(v.s.Columns()).must(v.s.cursor.Name)]
	var out []Position
	for rows.Next() {
		raw := make([]any, len(names))
		dest := make([]any, len(raw))
		for i := range raw {
			dest[i] = &raw[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("cut the lookback window of %s: %w", v.s.name(), err)
		}
		cur, err := conv(raw[0])
		if err != nil {
			return nil, fmt.Errorf("cut the lookback window of %s: %w", v.s.name(), err)
		}
		key, err := v.convertKey(raw[1:])
		if err != nil {
			return nil, fmt.Errorf("cut the lookback window of %s: %w", v.s.name(), err)
		}
		out = append(out, Position{Cursor: cur, Key: key})
	}
	return out, rows.Err()
}
