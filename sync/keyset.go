package datasync

import "strings"

// params collects the values of a statement and hands out their markers.
// Every use of a value takes a new marker, so that dialects with positional
// "?" markers and those with numbered ones are served alike.
type params struct {
	d    Dialect
	vals []any
}

func (p *params) add(v any) string {
	p.vals = append(p.vals, v)
	return p.d.Placeholder(len(p.vals))
}

// column is a source column with its quoted name.
type column struct {
	Column
	quoted string
}

// pageWhere returns the condition for the rows after pos up to hi:
//
//	c <= :hi                                       (initial load)
//	c >= :c AND c <= :hi                           (inclusive start)
//	c >= :c AND c <= :hi AND (c > :c OR (c = :c AND keys after :k))
//
// The keyset on (cursor, key) is what keeps rows that share one cursor value
// across a page boundary from being skipped; "c > :c" alone would lose them.
// The leading "c >= :c" lets the database range-scan the (cursor, key)
// index. Markers are handed out in the order they appear in the text, as
// positional "?" markers require.
func pageWhere(p *params, bind binder, cur column, keys []column, pos Position, hi any) (string, error) {
	var h, c any
	var err error
	if hi != nil {
		if h, err = bind(cur, hi); err != nil {
			return "", err
		}
	}
	if !pos.IsZero() {
		if c, err = bind(cur, pos.Cursor); err != nil {
			return "", err
		}
	}
	var conds []string
	if !pos.IsZero() {
		conds = append(conds, cur.quoted+" >= "+p.add(c))
	}
	if hi != nil {
		conds = append(conds, cur.quoted+" <= "+p.add(h))
	}
	if pos.Key != nil {
		head := "(" + cur.quoted + " > " + p.add(c) + " OR (" + cur.quoted + " = " + p.add(c) + " AND "
		after, err := keysAfter(p, bind, keys, pos.Key)
		if err != nil {
			return "", err
		}
		conds = append(conds, head+after+"))")
	}
	return strings.Join(conds, " AND "), nil
}

// keysAfter expands a row-value comparison (k1, k2, ...) > (v1, v2, ...)
// into ANDs and ORs, since SQL Server has no row values.
func keysAfter(p *params, bind binder, keys []column, vals []any) (string, error) {
	k, err := bind(keys[0], vals[0])
	if err != nil {
		return "", err
	}
	if len(keys) == 1 {
		return keys[0].quoted + " > " + p.add(k), nil
	}
	head := "(" + keys[0].quoted + " > " + p.add(k) + " OR (" + keys[0].quoted + " = " + p.add(k) + " AND "
	rest, err := keysAfter(p, bind, keys[1:], vals[1:])
	if err != nil {
		return "", err
	}
	return head + rest + "))", nil
}

// binder turns a portable value into a parameter for a column.
type binder func(col column, v any) (any, error)
