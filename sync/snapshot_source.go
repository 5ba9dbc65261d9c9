package datasync

import (
	"context"
	"fmt"
	"strings"
)

// SplitKeys implements SnapshotSource: every step-th key in key order,
// numbered by the database (ROW_NUMBER over the key, which the primary
// key's index serves without a sort), so that only the parts-1 keys come
// back, whatever the table's size. Composite and non-numeric keys split
// alike, in the source's own order.
func (s *SQLSource) SplitKeys(ctx context.Context, rows int64, parts int) ([][]any, error) {
	if parts <= 1 || rows <= 1 {
		return nil, nil
	}
	step := (rows + int64(parts) - 1) / int64(parts)
	v := &verifySide{s: s, keys: s.keys}
	keys, err := v.boundaries(ctx, nil, nil, step)
	if err != nil {
		return nil, err
	}
	if len(keys) > parts-1 { // rows grew since they were counted
		keys = keys[:parts-1]
	}
	return keys, nil
}

// ReadKeyRange implements SnapshotSource, keyset on the key alone: the key is
// unique, so no two rows tie at a page boundary.
func (s *SQLSource) ReadKeyRange(ctx context.Context, lo, after, hi []any, limit int) ([]Row, error) {
	q, args, err := s.keysQuery(lo, after, hi, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read keys of %s after %s: %w", s.name(), keyText(after), s.schemaError(err))
	}
	defer rows.Close()
	if err := s.checkResult(rows); err != nil {
		return nil, fmt.Errorf("read keys of %s after %s: %w", s.name(), keyText(after), err)
	}
	page := make([]Row, 0, limit)
	ptrs := make([]any, len(s.cols))
	for rows.Next() {
		r, err := s.scan(rows, ptrs)
		if err != nil {
			return nil, fmt.Errorf("read keys of %s after %s: %w", s.name(), keyText(after), err)
		}
		page = append(page, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read keys of %s after %s: %w", s.name(), keyText(after), err)
	}
	return page, nil
}

// KeysQuery returns the statement and parameters ReadKeyRange runs; exported
// for the dialects' golden tests.
func (s *SQLSource) KeysQuery(lo, after, hi []any, limit int) (string, []any, error) {
	return s.keysQuery(lo, after, hi, limit)
}

func (s *SQLSource) keysQuery(lo, after, hi []any, limit int) (string, []any, error) {
	for _, k := range [][]any{lo, after, hi} {
		if k != nil && len(k) != len(s.keys) {
			return "", nil, fmt.Errorf("%s: a snapshot key of %d columns, the declaration %d: start the snapshot again with --full", s.name(), len(k), len(s.keys))
		}
	}
	p := &params{d: s.d}
	v := &verifySide{s: s, keys: s.keys}
	if after != nil {
		lo = nil // after is within [lo, hi): the keyset alone bounds below
	}
	where, err := v.rangeWhere(p, lo, hi)
	if err == nil && after != nil {
		var c string
		c, err = tupleCompare(p, v.bind, s.keys, after, ">")
		where += " AND " + c
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s: bind snapshot key: %w", s.name(), err)
	}
	order := make([]string, len(s.keys))
	for i, k := range s.keys {
		order[i] = k.quoted
	}
	lim := p.add(int64(limit))
	return s.d.SelectPage(s.selects, s.from, where, strings.Join(order, ", "), lim), p.vals, nil
}
