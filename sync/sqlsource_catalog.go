package datasync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/syncd/syncd/tables"
)

// ErrNoCatalog is returned by Describe for a source declared with a query:
// a derived table has no catalog entry, and so no indexes to check.
var ErrNoCatalog = errors.New("a query source has no catalog entry")

// Cataloger is implemented by dialects that can read a table's catalog.
type Cataloger interface {
	Describe(ctx context.Context, db *sql.DB, table tables.Ident) (TableInfo, error)
}

// Describe implements Describer when the dialect is a Cataloger.
func (s *SQLSource) Describe(ctx context.Context) (TableInfo, error) {
	c, ok := s.d.(Cataloger)
	if !ok {
		return TableInfo{}, fmt.Errorf("%s: dialect cannot read its catalog", s.name())
	}
	if s.table.Source.IsQuery() {
		return TableInfo{}, ErrNoCatalog
	}
	id, err := tables.ParseIdent(s.table.Source.Table, 3)
	if err != nil {
		return TableInfo{}, err
	}
	info, err := c.Describe(ctx, s.db, id)
	if err != nil {
		return TableInfo{}, fmt.Errorf("describe %s: %w", s.name(), err)
	}
	return info, nil
}

func (s *SQLSource) name() string { return sourceName(s.table) }

func sourceName(t tables.Table) string {
	if t.Source.IsQuery() {
		return "source query of " + t.Name
	}
	return t.Source.Table
}

// MissingColumnsError says that columns a declaration names are not in
// its source.
type MissingColumnsError struct {
	Source  string
	Missing []string
	Has     string // the source's columns, sorted, comma-separated
}

// Is makes a missing column a declaration error: no retry brings it back.
func (e *MissingColumnsError) Is(target error) bool { return target == ErrDeclaration }

func (e *MissingColumnsError) Error() string {
	return fmt.Sprintf("%s: columns %s not found (has: %s)", e.Source, strings.Join(e.Missing, ", "), e.Has)
}

func columnNames(cols []Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
