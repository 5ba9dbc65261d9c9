package datasync

import (
	"fmt"
	"strings"

	"github.com/syncd/syncd/tables"
)

// TypeMapper is implemented by source dialects that can say which MySQL
// column type holds what their Converter gives for a catalog column:
// target.create and target.evolve build the target's columns with it.
// indexed is true for the key and cursor columns, which must be types an
// index takes whole (VARCHAR rather than TEXT). A type with no faithful
// MySQL counterpart is an error that says how to convert it in a query.
type TypeMapper interface {
	MySQLType(c ColumnInfo, indexed bool) (string, error)
}

// TableDef is a target table as target.create makes it.
type TableDef struct {
	Columns []ColumnDef
	// Key are the primary-key columns, target names in key order.
	Key []string
	// Cursor is the target column fed by the source cursor, indexed so
	// that the target can be read by change time too; empty when the
	// declaration does not map the cursor.
	Cursor string
	// Warnings say what the target cannot keep of the source, such as a
	// key column narrowed to fit the target's key limit.
	Warnings []string
}

// ColumnDef is one column of a TableDef.
type ColumnDef struct {
	Name     string
	Type     string
	Nullable bool
	// Source is the catalog column it takes its values from.
	Source ColumnInfo
}

// PlanTable builds the target table of t from the source's catalog: one
// column per target column of the mapping (renames of target.columns
// honoured), typed by tm, NOT NULL where the source column is and for the
// key and cursor.
func PlanTable(t tables.Table, info TableInfo, tm TypeMapper) (TableDef, error) {
	var def TableDef
	all := make([]Column, len(info.Columns))
	for i, c := range info.Columns {
		all[i] = Column{Name: c.Name, DatabaseType: c.Type}
	}
	idx := ColumnIndex(all)
	var read []ColumnInfo
	var readCols []Column
	for _, name := range SourceColumns(t, all) {
		i, ok := idx.Find(name)
		if !ok {
			return def, fmt.Errorf("%s: source column %s does not exist in %s", t.Name, name, t.Source.Table)
		}
		read, readCols = append(read, info.Columns[i]), append(readCols, all[i])
	}
	m, err := NewMapping(t, readCols)
	if err != nil {
		return def, err
	}
	def.Key = m.Key
	for i, name := range m.Columns {
		src := read[m.From[i]]
		indexed := m.From[i] == m.Cursor || containsFold(m.Key, name)
		if m.From[i] == m.Cursor && def.Cursor == "" {
			def.Cursor = name
		}
		typ, err := tm.MySQLType(src, indexed)
		if err != nil {
			return def, fmt.Errorf("%s: column %s (%s): %w", t.Name, src.Name, src.Declared(), err)
		}
		def.Columns = append(def.Columns, ColumnDef{Name: name, Type: typ, Nullable: src.Nullable && !indexed, Source: src})
	}
	return def, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
