package datasync

import (
	"fmt"
	"strings"

	"github.com/syncd/syncd/tables"
)

// Problem is one finding of a check: an Error refuses the table, a warning
// only tells.
type Problem struct {
	Table   string
	Error   bool
	Message string
}

func (p Problem) String() string {
	level := "warning"
	if p.Error {
		level = "error"
	}
	return fmt.Sprintf("%s: %s: %s", p.Table, level, p.Message)
}

// CheckSource applies the rules a source table must meet before syncd reads
// it: a NOT NULL cursor (a NULL cursor is never read by a keyset) and an
// index that leads with the cursor, ideally (cursor, key...). A view's
// index and nullability are not in its catalog: for a view it says so in
// one warning and refuses only a missing column.
func CheckSource(t tables.Table, info TableInfo, createIndex func(name string, cols []string) string) []Problem {
	var out []Problem
	cols := make(map[string]ColumnInfo, len(info.Columns))
	for _, c := range info.Columns {
		cols[strings.ToLower(c.Name)] = c
	}
	want := orderColumns(t)
	for _, name := range want {
		c, ok := cols[strings.ToLower(name)]
		switch {
		case !ok:
			out = append(out, errorf(t, "source column %s does not exist in %s", name, t.Source.Table))
		case c.Nullable && !info.View:
			out = append(out, errorf(t, "source column %s is nullable: rows where it is NULL would never be read; make it NOT NULL or declare a query with COALESCE", name))
		}
	}
	if info.View {
		// A view has no index of its own (PostgreSQL cannot make one) and
		// its catalog may call any column nullable: a run reads it all
		// the same, so check says what it could not verify instead.
		return append(out, warnf(t, "source %s is a view: its index and NOT NULL cannot be checked; make sure that (%s) are NOT NULL in its base table, or COALESCE them in the view (rows with a NULL there are never read), and that the base table has an index on (%s), or every page scans it",
			t.Source.Table, strings.Join(want, ", "), strings.Join(want, ", ")))
	}
	switch {
	case hasIndexPrefix(info.Indexes, want):
	case hasIndexPrefix(info.Indexes, want[:1]):
		out = append(out, warnf(t, "no index on (%s); each page would sort the rows sharing a cursor value: %s",
			strings.Join(want, ", "), createIndex("ix_"+t.Name+"_syncd", want)))
	default:
		out = append(out, errorf(t, "cursor %s is not indexed: every page would scan the table; create the index: %s",
			t.Source.Cursor, createIndex("ix_"+t.Name+"_syncd", want)))
	}
	return out
}

// CheckTarget applies the rules a target table must meet: every mapped
// column exists, the primary key is exactly the mapped key (the upsert
// matches rows on it), and no other UNIQUE key exists (ON DUPLICATE KEY
// UPDATE would match a row by that key and overwrite the wrong row).
func CheckTarget(t tables.Table, m Mapping, info TableInfo) []Problem {
	var out []Problem
	cols := make(map[string]ColumnInfo, len(info.Columns))
	for _, c := range info.Columns {
		cols[strings.ToLower(c.Name)] = c
	}
	for _, c := range m.Columns {
		if _, ok := cols[strings.ToLower(c)]; !ok {
			out = append(out, errorf(t, "target column %s does not exist in %s", c, t.Target.Table))
		}
	}
	out = append(out, keyProblems(t, m, info)...)
	for _, k := range m.Key {
		if c, ok := cols[strings.ToLower(k)]; ok && isStringType(c.Type) {
			out = append(out, warnf(t, "key column %s is a string (%s): source and target must compare it alike (case, trailing spaces, collation) or two source rows become one target row", k, c.Type))
		}
	}
	return out
}

// keyProblems says what is wrong with the keys of an existing target
// table: a primary key other than the mapped key, none at all, or another
// UNIQUE key. Each is an error: ON DUPLICATE KEY UPDATE matches rows by
// every unique key, so the upsert would add duplicates or overwrite the
// wrong row.
func keyProblems(t tables.Table, m Mapping, info TableInfo) []Problem {
	var out []Problem
	for _, ix := range info.Indexes {
		switch {
		case ix.Primary && !sameSet(ix.Columns, m.Key):
			out = append(out, errorf(t, "target primary key (%s) is not the declared key (%s): make the primary key (%s)",
				strings.Join(ix.Columns, ", "), strings.Join(m.Key, ", "), strings.Join(m.Key, ", ")))
		case !ix.Primary && ix.Unique:
			out = append(out, errorf(t, "target has UNIQUE key %s (%s) besides the primary key: an upsert could overwrite the wrong row; drop it or make it non-unique", ix.Name, strings.Join(ix.Columns, ", ")))
		}
	}
	if !hasPrimary(info.Indexes) {
		out = append(out, errorf(t, "target %s has no primary key: each run would add rows again instead of updating them; create it on (%s)",
			t.Target.Table, strings.Join(m.Key, ", ")))
	}
	return out
}

// CheckTargetKeys returns an error matching ErrDeclaration when an existing
// target table's keys do not fit the mapping (see keyProblems), nil when
// they do. A run calls it before writing; syncd check reports the same.
func CheckTargetKeys(t tables.Table, m Mapping, info TableInfo) error {
	ps := keyProblems(t, m, info)
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Message
	}
	return declarationErrorf("%s: %s", t.Name, strings.Join(msgs, "; "))
}

// orderColumns is the order a page is read in: the cursor, then the key
// columns other than the cursor. An append-only table's cursor is its key
// (an identity): its order is (id), which the primary key serves, not
// (id, id), which no index has and no CREATE INDEX accepts.
func orderColumns(t tables.Table) []string {
	out := []string{t.Source.Cursor}
	for _, k := range t.Source.Key {
		if !strings.EqualFold(k, t.Source.Cursor) {
			out = append(out, k)
		}
	}
	return out
}

func hasIndexPrefix(ixs []Index, want []string) bool {
	for _, ix := range ixs {
		if len(ix.Columns) >= len(want) && sameColumns(ix.Columns[:len(want)], want) {
			return true
		}
	}
	return false
}

func hasPrimary(ixs []Index) bool {
	for _, ix := range ixs {
		if ix.Primary {
			return true
		}
	}
	return false
}

// sameColumns compares column lists in order, ignoring case.
func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameSet compares column sets, ignoring order and case.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || strings.EqualFold(x, y)
		}
		if !found {
			return false
		}
	}
	return true
}

func isStringType(typ string) bool {
	t := strings.ToLower(typ)
	return strings.Contains(t, "char") || strings.Contains(t, "text")
}

func errorf(t tables.Table, format string, args ...any) Problem {
	return Problem{Table: t.Name, Error: true, Message: fmt.Sprintf(format, args...)}
}

func warnf(t tables.Table, format string, args ...any) Problem {
	return Problem{Table: t.Name, Message: fmt.Sprintf(format, args...)}
}
