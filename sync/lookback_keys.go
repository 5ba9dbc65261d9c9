package datasync

import (
	"context"
	"fmt"
	"strings"
)

// The lookback's comparison by key: the source rows of a part of the
// window, read along the (cursor, key) index with their signature, and the
// target's signature of each of their keys.

// windowRow is one source row of the window: its key as canonical text
// and as values, its signature (the canonical text of its cursor value
// where the target holds the cursor, else the hash of the whole row's),
// whether deleted_when holds for it, and its position.
type windowRow struct {
	key     string
	vals    []any
	sig     string
	deleted bool
	pos     Position
}

// keys compares the rows of sp by key, a page of batch_size source rows
// at a time, and hands each page's differences to emit.
func (l *lookback) keys(ctx context.Context, sp span, emit func(context.Context, found) error) error {
	for from := sp.lo; ; {
		var rows []windowRow
		var held map[string]string
		err := bounded(ctx, l.o.Table, func(ctx context.Context) (err error) {
			if rows, err = l.src.windowPage(ctx, from, sp.hi, l.o.Table.BatchSize, l.narrowed); err != nil || len(rows) == 0 {
				return err
			}
			held, err = l.tgt.sigsOf(ctx, rows, l.narrowed)
			return err
		})
		if err != nil || len(rows) == 0 {
			return err
		}
		l.byKey += int64(len(rows))
		if f := l.differ(rows, held); len(f.repair)+len(f.gone) > 0 {
			if err := emit(ctx, f); err != nil {
				return err
			}
		}
		if len(rows) < l.o.Table.BatchSize {
			return nil
		}
		from = rows[len(rows)-1].pos
	}
}

// differ returns the rows of a page that the target lacks or holds
// otherwise, given the target's signature of each key it holds.
func (l *lookback) differ(rows []windowRow, held map[string]string) found {
	var f found
	for _, r := range rows {
		sig, ok := held[r.key]
		switch {
		case r.deleted && ok:
			f.gone = append(f.gone, r.vals)
		case !r.deleted && (!ok || sig != r.sig):
			f.repair = append(f.repair, r.vals)
		default:
			continue
		}
		f.why = f.why.add(l.judge.why(r, sig, ok, l.narrowed))
	}
	return f
}

// signature is the text windowPage and sigsOf compare a row by: its
// cursor value's canonical text when narrowed (the only column compared),
// else the hash of the whole row's canonical text.
func (v *verifySide) signature(narrowed bool) string {
	if narrowed {
		return rowText(v.c, v.cols, v.fams)
	}
	return v.c.Hash32(rowText(v.c, v.cols, v.fams))
}

// windowPage returns up to limit source rows after from, at or before
// end in (cursor, key) order, read along the (cursor, key) index as a
// page is, with their key text and row hash computed in the source.
func (v *verifySide) windowPage(ctx context.Context, from, end Position, limit int, narrowed bool) ([]windowRow, error) {
	p := &params{d: v.s.d}
	where, err := v.spanWhere(p, v.s.cursor, span{lo: from, hi: end})
	if err != nil {
		return nil, err
	}
	deleted := "0"
	if v.s.table.Source.DeletedWhen != "" {
		deleted = v.s.deletedCase()
	}
	order := []string{v.s.cursor.quoted}
	for _, k := range v.keys {
		order = append(order, k.quoted)
	}
	sel := strings.Join(order, ", ") + ", " + rowText(v.c, v.keys, v.keyFams) + " AS syncd_key, " +
		v.signature(narrowed) + " AS syncd_sig, " + deleted + " AS " + deletedAlias
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
	if err := rows.Scan(append(dest, &r.key, &r.sig, &flag)...); err != nil {
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

// sigsOf returns the target's signature of each key of rows it holds
// (by key text), in statements of at most keysPerRead keys.
func (v *verifySide) sigsOf(ctx context.Context, rows []windowRow, narrowed bool) (map[string]string, error) {
	out := make(map[string]string, len(rows))
	for len(rows) > 0 {
		n := min(keysPerRead, len(rows))
		if err := v.sigBatch(ctx, rows[:n], out, narrowed); err != nil {
			return nil, err
		}
		rows = rows[n:]
	}
	return out, nil
}

// keysPerRead bounds the keys of one statement that reads rows by key.
const keysPerRead = 1000

func (v *verifySide) sigBatch(ctx context.Context, rows []windowRow, out map[string]string, narrowed bool) error {
	p := &params{d: v.s.d}
	where, err := v.keysWhere(p, rows)
	if err != nil {
		return err
	}
	q := "SELECT " + rowText(v.c, v.keys, v.keyFams) + ", " + v.signature(narrowed) + " FROM " + v.s.from +
		" WHERE " + where + v.s.liveSuffix(" AND ")
	res, err := v.s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return fmt.Errorf("read rows of %s by key: %w", v.s.name(), err)
	}
	defer res.Close()
	for res.Next() {
		var key, sig string
		if err := res.Scan(&key, &sig); err != nil {
			return fmt.Errorf("read rows of %s by key: %w", v.s.name(), err)
		}
		out[key] = sig
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
