package datasync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Schema implements SchemaSource: the columns the source reads, typed from
// the catalog for a table source (NVARCHAR(50), DECIMAL(18,2)), or with
// the driver's type name for a query source, which has no catalog.
func (s *SQLSource) Schema(ctx context.Context) ([]ColumnInfo, error) {
	out := make([]ColumnInfo, len(s.cols))
	for i, c := range s.cols {
		out[i] = ColumnInfo{Name: c.Name, Type: c.DatabaseType, Nullable: true}
	}
	info, err := s.Describe(ctx)
	if errors.Is(err, ErrNoCatalog) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	byName := make(map[string]ColumnInfo, len(info.Columns))
	for _, c := range info.Columns {
		byName[strings.ToLower(c.Name)] = c
	}
	for i, c := range out {
		if ci, ok := byName[strings.ToLower(c.Name)]; ok {
			ci.Name = c.Name
			out[i] = ci
		}
	}
	return out, nil
}

// MySQLType implements SchemaSource (TypeMapper) through the dialect.
func (s *SQLSource) MySQLType(c ColumnInfo, indexed bool) (string, error) {
	tm, ok := s.d.(TypeMapper)
	if !ok {
		return "", fmt.Errorf("%s: the source dialect has no type map", s.name())
	}
	return tm.MySQLType(c, indexed)
}

// SchemaErrors is implemented by dialects that can tell the error of a read
// that failed because the source's columns changed while a run was under
// way (a column dropped, or retyped under a statement already planned), so
// that the run stops with ErrSchemaChanged and the next run says what
// changed.
type SchemaErrors interface {
	SchemaChanged(err error) bool
}

// schemaError wraps err in ErrSchemaChanged when the dialect sees a schema
// change in it.
func (s *SQLSource) schemaError(err error) error {
	if se, ok := s.d.(SchemaErrors); ok && se.SchemaChanged(err) {
		return fmt.Errorf("%w during the run: %w", ErrSchemaChanged, err)
	}
	return err
}

// checkResult compares the columns of a page's result with the ones the
// source was opened with, so that a column whose type changed while a run
// was under way stops the run before its values are converted as the old
// type. Only the driver's own type names are compared (the probe's, before
// a ColumnRefiner renamed any), which costs no extra statement.
func (s *SQLSource) checkResult(rows *sql.Rows) error {
	if s.driverTypes == nil {
		return nil
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	for i, ct := range types {
		if i >= len(s.cols) {
			break
		}
		was := s.driverTypes[strings.ToLower(s.cols[i].Name)]
		if now := strings.ToUpper(ct.DatabaseTypeName()); was != "" && now != was {
			return fmt.Errorf("%w during the run: column %s changed type from %s to %s; the next run says how to go on",
				ErrSchemaChanged, s.cols[i].Name, was, now)
		}
	}
	return nil
}
