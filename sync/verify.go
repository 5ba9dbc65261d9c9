package datasync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncd/syncd/tables"
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

// FamilyOf classifies a source column by its database type name, as the
// drivers of the three source databases report it.
func FamilyOf(c Column) Family {
	t := strings.TrimPrefix(strings.ToUpper(c.DatabaseType), "UNSIGNED ")
	switch t {
	case "INT2", "INT4", "INT8", "SMALLINT", "INTEGER", "INT", "BIGINT", "TINYINT", "MEDIUMINT", "YEAR", "BIT":
		return FamilyInt
	case "NUMERIC", "DECIMAL", "MONEY", "SMALLMONEY":
		return FamilyDecimal
	case "FLOAT4", "FLOAT8", "REAL", "FLOAT", "DOUBLE":
		return FamilyFloat
	case "TEXT", "VARCHAR", "CHAR", "BPCHAR", "NAME", "NVARCHAR", "NCHAR", "NTEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET":
		return FamilyText
	case "TIMESTAMP", "DATETIME", "DATETIME2", "SMALLDATETIME":
		return FamilyTime
	case "DATE":
		return FamilyDate
	case "BOOL", "BOOLEAN":
		return FamilyBool
	case "ROWVERSION": // a uint64 counter, an unsigned integer in the target
		return FamilyInt
	case "BYTEA", "BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "IMAGE":
		return FamilyBytes
	case "UUID", "UNIQUEIDENTIFIER":
		return FamilyUUID
	}
	return FamilyOther
}

// Checksummer is a Dialect that can hash rows in the database, so verify
// compares tables without copying them into syncd.
type Checksummer interface {
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
	if w := v.s.liveSuffix(""); w != "" {
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

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Ranges is how many key ranges the table is cut into when the whole
	// tables differ (default 16).
	Ranges int
	// Position is the table's stored position: source rows after it are
	// not synced yet, and a difference there is "pending", not a fault.
	// Synced is false when the table has never been synced.
	Position Position
	Synced   bool
	// MaxKeys caps the keys listed per kind in the report (default 100).
	MaxKeys int
	// PageTimeout, when set, bounds each range statement on either side
	// (a reconcile sets the table's page_timeout).
	PageTimeout time.Duration
}

// Mismatch is one key that differs.
type Mismatch struct {
	Key  string `json:"key"`
	Kind string `json:"kind"` // missing, extra, different, duplicate
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	SourceRows int64 `json:"source_rows"`
	TargetRows int64 `json:"target_rows"`
	// Ranges is how many key ranges were checksummed, Differing how many
	// of them differed (before narrowing to keys).
	Ranges    int   `json:"ranges"`
	Differing int   `json:"ranges_differing"`
	Missing   int64 `json:"missing"`   // in the source up to the position, not in the target
	Extra     int64 `json:"extra"`     // in the target, not in the source
	Different int64 `json:"different"` // in both, with other values
	// Duplicate counts target rows beyond the first of a key: a target
	// table whose primary key is not the declared key collects them.
	Duplicate int64 `json:"duplicate"`
	// Pending counts source rows after the stored position that the
	// target does not match yet: the next run brings them. PendingNew
	// are those of them the target does not hold at all.
	// Marked counts target rows marked deleted (deletes: mark) that were
	// left out of the comparison: deleted as far as it goes.
	Marked     int64      `json:"marked_deleted,omitempty"`
	Pending    int64      `json:"pending"`
	PendingNew int64      `json:"pending_new"`
	Keys       []Mismatch `json:"keys,omitempty"`
	// Columns is how many columns were compared; Skipped lists target
	// columns not compared (types with no canonical text on both sides,
	// like json).
	Columns int      `json:"columns"`
	Skipped []string `json:"skipped_columns,omitempty"`
	Equal   bool     `json:"equal"`
}

// leafRows is the size of a range whose rows are compared by key: small
// enough that its key hashes are held in memory on both sides.
const leafRows = 2000

// Verify compares the target table with its source over the key space:
// a count and a checksum of every row's canonical text are computed in
// each database, per key range; ranges that differ are cut smaller until
// their rows can be compared by key hash. No table is copied into
// syncd's memory: it holds at most leafRows key hashes per side.
func Verify(ctx context.Context, src, tgt *SQLSource, m Mapping, o VerifyOptions) (VerifyReport, error) {
	v, err := diffTables(ctx, src, tgt, m, o, false)
	if err != nil {
		return VerifyReport{}, err
	}
	return *v.rep, nil
}

// diffTables runs the comparison of Verify and returns the verifier with
// what it found; with values, it also keeps the key values of every key
// it holds (source values for missing and different rows, target values
// for extra ones).
func diffTables(ctx context.Context, src, tgt *SQLSource, m Mapping, o VerifyOptions, values bool) (*verifier, error) {
	var rep VerifyReport
	sc, ok1 := src.d.(Checksummer)
	tc, ok2 := tgt.d.(Checksummer)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: the dialect cannot checksum rows", src.name())
	}
	tc, err := matchEncoding(sc, tc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.name(), err)
	}
	s, t, err := pairSides(src, tgt, sc, tc, m, values, &rep)
	if err != nil {
		return nil, err
	}
	rep.Columns = len(s.cols)
	v := &verifier{src: s, tgt: t, rep: &rep, maxKeys: o.MaxKeys, pos: &o.Position, page: tables.Table{PageTimeout: o.PageTimeout},
		missing: map[string]int64{}, extra: map[string]int64{}}
	if values {
		v.srcKeys, v.tgtKeys = map[string][]any{}, map[string][]any{}
	}
	if !o.Synced {
		v.pos = &Position{}
	}
	if v.maxKeys == 0 {
		v.maxKeys = 100
	}
	ranges := o.Ranges
	if ranges <= 0 {
		ranges = 16
	}
	if err := v.compare(ctx, nil, nil, ranges, 0); err != nil {
		return nil, err
	}
	v.settle()
	rep.Equal = equal(rep, o.Synced)
	return v, nil
}

// pairSides builds the two sides of a comparison: the mapped columns
// that have a canonical text on both sides (the others are listed in
// rep.Skipped) and the keys, families taken from the source's types.
func pairSides(src, tgt *SQLSource, sc, tc Checksummer, m Mapping, values bool, rep *VerifyReport) (s, t *verifySide, err error) {
	s = &verifySide{s: src, c: sc, values: values}
	t = &verifySide{s: tgt, c: tc, values: values}
	tidx := ColumnIndex(tgt.Columns())
	for i, name := range m.Columns {
		col := src.cols[m.From[i]]
		f := FamilyOf(col.Column)
		if f == FamilyOther {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s (%s)", name, col.DatabaseType))
			continue
		}
		j, ok := tidx.Find(name)
		if !ok {
			return nil, nil, fmt.Errorf("%s: target column %s not found", tgt.name(), name)
		}
		s.cols, s.fams = append(s.cols, col), append(s.fams, f)
		t.cols, t.fams = append(t.cols, tgt.cols[j]), append(t.fams, f)
	}
	for i, k := range src.keys {
		j, ok := tidx.Find(m.Key[i])
		if !ok {
			return nil, nil, fmt.Errorf("%s: target key column %s not found", tgt.name(), m.Key[i])
		}
		f := FamilyOf(k.Column)
		s.keys, s.keyFams = append(s.keys, k), append(s.keyFams, f)
		t.keys, t.keyFams = append(t.keys, tgt.cols[j]), append(t.keyFams, f)
	}
	return s, t, nil
}

// equal says whether a report shows a target that matches its source. A
// table never synced matches its source up to no cursor at all; calling
// that equal would pass a table nobody ever synced. The row counts must
// agree once the pending new rows are set aside, whatever the key
// comparison found: a count difference is never equal.
func equal(r VerifyReport, synced bool) bool {
	return synced && r.Missing == 0 && r.Extra == 0 && r.Different == 0 && r.Duplicate == 0 &&
		r.TargetRows+r.PendingNew == r.SourceRows
}

// verifier walks the key ranges.
type verifier struct {
	src, tgt *verifySide
	rep      *VerifyReport
	pos      *Position
	maxKeys  int
	page     tables.Table // its PageTimeout bounds each range statement
	// missing and extra hold key: hash of rows found on one side only, so
	// a row that two databases' collations put into different ranges is
	// matched up at the end instead of reported twice. They hold at most
	// maxHeld keys each, so a target far from its source (an empty one)
	// does not fill syncd's memory; beyond that the rows are only counted.
	missing, extra         map[string]int64
	different              []string
	missingOver, extraOver int64
	differentOver          int64
	duplicate              []string
	// srcKeys and tgtKeys hold the key values of the held keys, by key
	// text, when the sides keep them (nil otherwise).
	srcKeys, tgtKeys map[string][]any
}

// maxHeld bounds the mismatched keys verify keeps per kind.
const maxHeld = 100000

// compare checksums [lo, hi) on both sides and narrows a difference down.
// parent is the row count of the enclosing range (0 at the top): a range
// that is not smaller than its parent (the two databases order the keys
// differently) is compared by key at once, so every path down the ranges
// shrinks and the work stays bounded by the table's size and its
// differences.
func (v *verifier) compare(ctx context.Context, lo, hi []any, pieces int, parent int64) error {
	top := parent == 0
	var sn, ssum, tn, tsum int64
	err := bounded(ctx, v.page, func(ctx context.Context) (err error) {
		sn, ssum, err = v.src.aggregate(ctx, lo, hi)
		return err
	})
	if err != nil {
		return err
	}
	err = bounded(ctx, v.page, func(ctx context.Context) (err error) {
		tn, tsum, err = v.tgt.aggregate(ctx, lo, hi)
		return err
	})
	if err != nil {
		return err
	}
	if top {
		v.rep.SourceRows, v.rep.TargetRows = sn, tn
	}
	v.rep.Ranges++
	if sn == tn && ssum == tsum {
		return nil
	}
	v.rep.Differing++
	n := max(sn, tn)
	if n <= leafRows || (!top && n >= parent) {
		return v.leaf(ctx, lo, hi)
	}
	side := v.src
	if tn > sn {
		side = v.tgt
	}
	var cuts [][]any
	err = bounded(ctx, v.page, func(ctx context.Context) (err error) {
		cuts, err = side.boundaries(ctx, lo, hi, (n+int64(pieces)-1)/int64(pieces))
		return err
	})
	if err != nil {
		return err
	}
	if len(cuts) == 0 {
		return v.leaf(ctx, lo, hi)
	}
	bounds := append(append([][]any{lo}, cuts...), hi)
	for i := 0; i+1 < len(bounds); i++ {
		if err := v.compare(ctx, bounds[i], bounds[i+1], 16, n); err != nil {
			return err
		}
	}
	return nil
}

// leaf compares the rows of [lo, hi) by key.
func (v *verifier) leaf(ctx context.Context, lo, hi []any) error {
	var s, t keyHashes
	err := bounded(ctx, v.page, func(ctx context.Context) (err error) {
		s, err = v.src.rowHashes(ctx, lo, hi, v.pos)
		return err
	})
	if err != nil {
		return err
	}
	err = bounded(ctx, v.page, func(ctx context.Context) (err error) {
		t, err = v.tgt.rowHashes(ctx, lo, hi, nil)
		return err
	})
	if err != nil {
		return err
	}
	sh, th := s.hashes, t.hashes
	v.rep.Duplicate += int64(len(t.dups))
	if len(v.duplicate) < maxHeld {
		v.duplicate = append(v.duplicate, t.dups...)
	}
	for k, h := range sh {
		g, ok := th[k]
		switch {
		case ok && g == h:
		case s.later[k]:
			v.rep.Pending++
			if !ok {
				v.rep.PendingNew++
			}
		case !ok && len(v.missing) < maxHeld:
			v.missing[k] = h
			keep(v.srcKeys, k, s.vals)
		case !ok:
			v.missingOver++
		case len(v.different) < maxHeld:
			v.different = append(v.different, k)
			keep(v.srcKeys, k, s.vals)
		default:
			v.differentOver++
		}
	}
	for k, h := range th {
		if _, ok := sh[k]; !ok {
			if len(v.extra) < maxHeld {
				v.extra[k] = h
				keep(v.tgtKeys, k, t.vals)
			} else {
				v.extraOver++
			}
		}
	}
	return nil
}

// settle matches rows found missing in one range and extra in another,
// then counts and lists what is left.
func (v *verifier) settle() {
	for k, h := range v.missing {
		if g, ok := v.extra[k]; ok {
			delete(v.missing, k)
			delete(v.extra, k)
			if g != h {
				v.different = append(v.different, k)
			}
		}
	}
	v.rep.Missing = int64(len(v.missing)) + v.missingOver
	v.rep.Extra = int64(len(v.extra)) + v.extraOver
	v.rep.Different = int64(len(v.different)) + v.differentOver
	add := func(kind string, keys []string) {
		slices.Sort(keys)
		for i, k := range keys {
			if i == v.maxKeys {
				break
			}
			v.rep.Keys = append(v.rep.Keys, Mismatch{Key: k, Kind: kind})
		}
	}
	add("missing", mapKeys(v.missing))
	add("extra", mapKeys(v.extra))
	add("different", v.different)
	add("duplicate", v.duplicate)
}

// keep copies the values of key k into held, unless held is nil.
func keep(held map[string][]any, k string, vals map[string][]any) {
	if held != nil {
		held[k] = vals[k]
	}
}

func mapKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
