package datasync

import (
	"sort"
	"strings"

	"github.com/syncd/syncd/tables"
)

// ColumnIndex finds columns by name: exactly first, then ignoring case,
// since SQL Server and MySQL compare column names without case by default.
type ColumnIndex []Column

// Find returns the position of the column called name.
func (ci ColumnIndex) Find(name string) (int, bool) {
	for i, c := range ci {
		if c.Name == name {
			return i, true
		}
	}
	for i, c := range ci {
		if strings.EqualFold(c.Name, name) {
			return i, true
		}
	}
	return -1, false
}

func (ci ColumnIndex) must(name string) int {
	i, ok := ci.Find(name)
	if !ok {
		panic("datasync: column " + name + " vanished")
	}
	return i
}

// SourceColumns returns the source columns a declaration reads: the mapped
// ones in target-column order (every column of all when it maps none), then
// the key and the cursor where not already there.
func SourceColumns(t tables.Table, all []Column) []string {
	var want []string
	if len(t.Target.Columns) == 0 {
		for _, c := range all {
			want = append(want, c.Name)
		}
	} else {
		for _, tc := range sortedKeys(t.Target.Columns) {
			want = append(want, t.Target.Columns[tc])
		}
	}
	seen := make(map[string]bool, len(want))
	out := make([]string, 0, len(want)+2)
	for _, n := range append(append(want, t.Source.Key...), t.Source.Cursor) {
		if !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			out = append(out, n)
		}
	}
	return out
}

// Mapping says how a source row becomes a target row.
type Mapping struct {
	// Columns are the target columns, in the order of a target row.
	Columns []string
	// Key are the target columns fed by the source key, in key order.
	Key []string
	// From holds, for each target column, the index of its source column.
	From []int
	// Cursor and KeyFrom locate the cursor and the key in a source row.
	Cursor  int
	KeyFrom []int
}

// NewMapping builds the mapping of a declaration over the columns a source
// reads.
func NewMapping(t tables.Table, src []Column) (Mapping, error) {
	idx := ColumnIndex(src)
	var m Mapping
	var ok bool
	if m.Cursor, ok = idx.Find(t.Source.Cursor); !ok {
		return m, declarationErrorf("%s: cursor column %s is not read from the source", t.Name, t.Source.Cursor)
	}
	targetOf := make(map[int]string)
	if len(t.Target.Columns) == 0 {
		for i, c := range src {
			m.add(c.Name, i, targetOf)
		}
	} else {
		for _, tc := range sortedKeys(t.Target.Columns) {
			i, ok := idx.Find(t.Target.Columns[tc])
			if !ok {
				return m, declarationErrorf("%s: target.columns.%s: source column %s is not read", t.Name, tc, t.Target.Columns[tc])
			}
			m.add(tc, i, targetOf)
		}
	}
	for _, k := range t.Source.Key {
		i, ok := idx.Find(k)
		if !ok {
			return m, declarationErrorf("%s: key column %s is not read from the source", t.Name, k)
		}
		tc, mapped := targetOf[i]
		if !mapped {
			return m, declarationErrorf("%s: key column %s is not mapped to a target column", t.Name, k)
		}
		m.KeyFrom = append(m.KeyFrom, i)
		m.Key = append(m.Key, tc)
	}
	return m, nil
}

func (m *Mapping) add(target string, from int, targetOf map[int]string) {
	m.Columns = append(m.Columns, target)
	m.From = append(m.From, from)
	if _, ok := targetOf[from]; !ok {
		targetOf[from] = target
	}
}

// Project turns a source row into a target row: r itself when the target
// takes every source column in the source's order (the rows are not
// changed after they are read), else a new row.
func (m Mapping) Project(r Row) Row {
	if m.identity(len(r)) {
		return r
	}
	out := make(Row, len(m.From))
	for i, j := range m.From {
		out[i] = r[j]
	}
	return out
}

// identity reports whether projecting a row of n columns keeps it as is.
func (m Mapping) identity(n int) bool {
	if len(m.From) != n {
		return false
	}
	for i, j := range m.From {
		if i != j {
			return false
		}
	}
	return true
}

// PositionOf returns the position of a source row.
func (m Mapping) PositionOf(r Row) Position {
	key := make([]any, len(m.KeyFrom))
	for i, j := range m.KeyFrom {
		key[i] = r[j]
	}
	return Position{Cursor: r[m.Cursor], Key: key}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
