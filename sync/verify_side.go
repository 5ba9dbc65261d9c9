package datasync

import (
	"context"
	"fmt"
	"strings"
)

// Family is the kind of value a column holds, as far as comparing it
// across databases goes: both sides render it as the same canonical text.
type Family int

// Families of columns.
const (
	FamilyOther   Family = iota // not compared (json, xml, spatial...)
	FamilyInt                   // integers of any width, as decimal text
	FamilyDecimal               // exact numbers, at 10 decimal places
	FamilyFloat                 // approximate numbers, at 6 decimal places
	FamilyText                  // strings as they are
	FamilyTime                  // date and time to the microsecond, no zone
	FamilyDate                  // dates
	FamilyBool                  // booleans as 1 and 0
	FamilyBytes                 // binary strings as lower-case hex
	FamilyUUID                  // UUIDs as lower-case text
)

// Checksummer is a Dialect that can hash rows in the database, so verify
// compares tables without copying them into syncd.
type Checksummer interface {
	// Family classifies a column of this dialect's server by the type
	// name its driver reports: the type names are the dialect's to know.
	Family(c Column) Family
	// Canonical renders the quoted column, of family f, as canonical
	// text: the same text for the same value in every dialect. NULL may
	// stay NULL.
	Canonical(quoted string, f Family) string
	// Concat joins text expressions, none of them NULL.
	Concat(parts []string) string
	// Hash32 is a non-negative integer below 2^32 taken from the MD5 of
	// the UTF-8 bytes of a text expression (or of the encoding a
	// HashEncoder names).
	Hash32(text string) string
}

// nullText stands for NULL in a row's canonical text.
const nullText = "'~null~'"

// rowText returns the canonical text of cols, NULLs marked, joined by '|'.
func rowText(c Checksummer, cols []column, fams []Family) string {
	parts := make([]string, 0, 2*len(cols))
	for i, col := range cols {
		if i > 0 {
			parts = append(parts, "'|'")
		}
		parts = append(parts, "COALESCE("+canonical(c, col, fams[i])+", "+nullText+")")
	}
	return c.Concat(parts)
}

// tupleCompare expands (k1, k2, ...) op (v1, v2, ...) for op ">=" or "<"
// into ANDs and ORs, as keysAfter does for ">".
func tupleCompare(p *params, bind binder, keys []column, vals []any, op string) (string, error) {
	strict := strings.TrimSuffix(op, "=")
	v, err := bind(keys[0], vals[0])
	if err != nil {
		return "", err
	}
	if len(keys) == 1 {
		return keys[0].quoted + " " + op + " " + p.add(v), nil
	}
	// The head's placeholders are added before the rest's: with positional
	// placeholders (MySQL's ?) the text order is the parameter order.
	head := "(" + keys[0].quoted + " " + strict + " " + p.add(v) + " OR (" + keys[0].quoted + " = " + p.add(v) + " AND "
	rest, err := tupleCompare(p, bind, keys[1:], vals[1:], op)
	if err != nil {
		return "", err
	}
	return head + rest + "))", nil
}

// verifySide is one side of a comparison: a table read through an
// SQLSource, the columns compared and their families.
type verifySide struct {
	s    *SQLSource
	c    Checksummer
	cols []column
	fams []Family
	keys []column
	// values has rowHashes keep every row's key values too (reconcile
	// needs them to read, write and delete rows by key).
	values bool
	// keyFams are the families of the keys, from the source's types on
	// both sides: a uuid key is a CHAR(36) in the target, and is still
	// rendered as a uuid.
	keyFams []Family
}

func (v *verifySide) bind(c column, x any) (any, error) { return v.s.d.Bind(c.Column, x) }

// rangeWhere is the declared filter and lo <= key < hi (either bound may
// be nil).
func (v *verifySide) rangeWhere(p *params, lo, hi []any) (string, error) {
	conds := []string{}
	if w := v.s.whereSuffix(""); w != "" {
		conds = append(conds, w)
	}
	if lo != nil {
		c, err := tupleCompare(p, v.bind, v.keys, lo, ">=")
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	if hi != nil {
		c, err := tupleCompare(p, v.bind, v.keys, hi, "<")
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	if len(conds) == 0 {
		return "1=1", nil
	}
	return strings.Join(conds, " AND "), nil
}

// aggregate counts and checksums the rows of [lo, hi) in the database.
func (v *verifySide) aggregate(ctx context.Context, lo, hi []any) (n, sum int64, err error) {
	p := &params{d: v.s.d}
	where, err := v.rangeWhere(p, lo, hi)
	if err != nil {
		return 0, 0, err
	}
	q := "SELECT COUNT(*), COALESCE(SUM(" + v.c.Hash32(rowText(v.c, v.cols, v.fams)) + "), 0) FROM " + v.s.from + " WHERE " + where
	if err := v.s.db.QueryRowContext(ctx, q, p.vals...).Scan(&n, &sum); err != nil {
		return 0, 0, fmt.Errorf("checksum %s: %w", v.s.name(), err)
	}
	return n, sum, nil
}

// boundaries returns the keys that cut [lo, hi) into pieces of step rows,
// taken in the database (the first key of each piece after the first).
func (v *verifySide) boundaries(ctx context.Context, lo, hi []any, step int64) ([][]any, error) {
	p := &params{d: v.s.d}
	where, err := v.rangeWhere(p, lo, hi)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(v.keys))
	for i, k := range v.keys {
		names[i] = k.quoted
	}
	keyList := strings.Join(names, ", ")
	q := "SELECT " + keyList + " FROM (SELECT " + keyList + ", ROW_NUMBER() OVER (ORDER BY " + keyList + ") AS syncd_rn FROM " +
		v.s.from + " WHERE " + where + ") syncd_b WHERE syncd_rn > 1 AND (syncd_rn - 1) % " + p.add(step) + " = 0 ORDER BY " + keyList
	rows, err := v.s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return nil, fmt.Errorf("cut %s into ranges: %w", v.s.name(), err)
	}
	defer rows.Close()
	idx := ColumnIndex(v.s.Columns())
	var out [][]any
	for rows.Next() {
		raw := make([]any, len(v.keys))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, k := range v.keys {
			c, err := v.s.conv[idx.must(k.Name)](raw[i])
			if err != nil {
				return nil, err
			}
			raw[i] = c
		}
		out = append(out, raw)
	}
	return out, rows.Err()
}

// keyHashes are the rows of one range by key text: their hash, which of
// them come after the stored position (source side: synced later, not
// yet), and the keys held by more than one row (a target without its
// primary key collects such duplicates).
type keyHashes struct {
	hashes map[string]int64
	later  map[string]bool
	dups   []string
	vals   map[string][]any // the key values, when the side keeps them
}

// rowHashes returns the keyHashes of the rows of [lo, hi); pos marks, on
// the source side, the rows after the stored position.
func (v *verifySide) rowHashes(ctx context.Context, lo, hi []any, pos *Position) (keyHashes, error) {
	p := &params{d: v.s.d}
	pending := "0"
	if pos != nil {
		if pos.IsZero() {
			pending = "1"
		} else {
			after, err := pageWhere(p, v.bind, v.s.cursor, v.s.keys, *pos, nil)
			if err != nil {
				return keyHashes{}, err
			}
			pending = "CASE WHEN " + after + " THEN 1 ELSE 0 END"
		}
	}
	where, err := v.rangeWhere(p, lo, hi)
	if err != nil {
		return keyHashes{}, err
	}
	q := "SELECT " + rowText(v.c, v.keys, v.keyFams) + ", " + v.c.Hash32(rowText(v.c, v.cols, v.fams)) + ", " + pending +
		v.keyList(", ") + " FROM " + v.s.from + " WHERE " + where
	rows, err := v.s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return keyHashes{}, fmt.Errorf("hash rows of %s: %w", v.s.name(), err)
	}
	defer rows.Close()
	kh := keyHashes{hashes: map[string]int64{}, later: map[string]bool{}, vals: map[string][]any{}}
	for rows.Next() {
		var key string
		var h, pend int64
		var vals []any
		dest := []any{&key, &h, &pend}
		if v.values {
			vals = make([]any, len(v.keys))
			for i := range vals {
				dest = append(dest, &vals[i])
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return keyHashes{}, err
		}
		if _, seen := kh.hashes[key]; seen {
			kh.dups = append(kh.dups, key)
		}
		kh.hashes[key] = h
		if pend == 1 {
			kh.later[key] = true
		}
		if v.values {
			if kh.vals[key], err = v.convertKey(vals); err != nil {
				return keyHashes{}, fmt.Errorf("read keys of %s: %w", v.s.name(), err)
			}
		}
	}
	return kh, rows.Err()
}

// keyList is the quoted key columns after prefix when the side keeps key
// values, else nothing.
func (v *verifySide) keyList(prefix string) string {
	if !v.values {
		return ""
	}
	names := make([]string, len(v.keys))
	for i, k := range v.keys {
		names[i] = k.quoted
	}
	return prefix + strings.Join(names, ", ")
}

// convertKey turns key values as the driver scanned them into portable
// values.
func (v *verifySide) convertKey(raw []any) ([]any, error) {
	idx := ColumnIndex(v.s.Columns())
	for i, k := range v.keys {
		c, err := v.s.conv[idx.must(k.Name)](raw[i])
		if err != nil {
			return nil, fmt.Errorf("key column %s: %w", k.Name, err)
		}
		raw[i] = c
	}
	return raw, nil
}
