package datasync

import (
	"context"
	"fmt"
	"strings"
)

// RejectRetrier is a Target that keeps refused rows aside (as rejects)
// and can try them again.
type RejectRetrier interface {
	// RejectedKeys returns the keys of the table's rejected rows.
	RejectedKeys(ctx context.Context, table string) ([][]any, error)
	// RetryRejects writes found (target rows read again for those keys)
	// and forgets the rejects written and those gone from the source, only
	// while st.Version holds (else it writes nothing and returns ErrFenced,
	// or ErrPaused when the table was paused); rows refused again stay
	// rejected.
	RetryRejects(ctx context.Context, st State, found []Row, gone [][]any) (WriteStats, error)
}

// KeyReader is a Source that reads rows by key.
type KeyReader interface {
	ReadKeys(ctx context.Context, keys [][]any) ([]Row, error)
}

// retryRejects gives every rejected row of the table another chance at
// the start of a run: its current source row is read by key and written
// again, so a row refused for a value that was fixed in the source (or a
// target column that was widened) arrives without a full re-sync.
func retryRejects(ctx context.Context, o Options, st State, rec *RunRecord) error {
	rr, kr, ok, err := needRejects(o)
	if !ok || err != nil {
		return err
	}
	keys, err := rr.RejectedKeys(ctx, o.Table.Name)
	if err != nil || len(keys) == 0 {
		return err
	}
	rows, err := kr.ReadKeys(ctx, keys)
	if err != nil {
		return fmt.Errorf("read rejected rows of %s again: %w", o.Table.Name, err)
	}
	seen := make(map[string]bool, len(rows))
	found := make([]Row, len(rows))
	for i, r := range rows {
		k, err := EncodeKey(o.Mapping.PositionOf(r).Key)
		if err != nil {
			return err
		}
		seen[k] = true
		found[i] = o.Mapping.Project(r)
	}
	var gone [][]any
	for _, key := range keys {
		if k, err := EncodeKey(key); err == nil && !seen[k] {
			gone = append(gone, key)
		}
	}
	ws, err := rr.RetryRejects(ctx, st, found, gone)
	if err != nil {
		return fmt.Errorf("retry rejected rows of %s: %w", o.Table.Name, err)
	}
	rec.Read += int64(len(rows))
	rec.WriteStats = rec.WriteStats.Add(ws)
	return nil
}

// ReadKeys implements KeyReader: the rows whose key is one of keys (and
// that the declared filter lets through), in batches of one statement.
func (s *SQLSource) ReadKeys(ctx context.Context, keys [][]any) ([]Row, error) {
	const batch = 200
	var out []Row
	for len(keys) > 0 {
		n := min(batch, len(keys))
		rows, err := s.readKeys(ctx, keys[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		keys = keys[n:]
	}
	return out, nil
}

func (s *SQLSource) readKeys(ctx context.Context, keys [][]any) ([]Row, error) {
	p := &params{d: s.d}
	ors := make([]string, 0, len(keys))
	for _, key := range keys {
		if len(key) != len(s.keys) {
			return nil, fmt.Errorf("%s: a rejected key of %d columns, the declaration has %d", s.name(), len(key), len(s.keys))
		}
		ands := make([]string, len(key))
		for i, v := range key {
			b, err := s.d.Bind(s.keys[i].Column, v)
			if err != nil {
				return nil, fmt.Errorf("%s: bind key %v: %w", s.name(), key, err)
			}
			ands[i] = s.keys[i].quoted + " = " + p.add(b)
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	q := "SELECT " + s.selects + " FROM " + s.from + " WHERE (" + strings.Join(ors, " OR ") + ")" + s.liveSuffix(" AND ")
	rows, err := s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return nil, fmt.Errorf("read rows of %s by key: %w", s.name(), err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := s.scan(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("read rows of %s by key: %w", s.name(), err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
