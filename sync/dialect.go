package datasync

import (
	"context"
	"database/sql"

	"github.com/syncd/syncd/tables"
)

// Dialect is what SQLSource needs to know of one database's SQL. Each
// dialect package (mssql, mysql, postgres) provides one.
type Dialect interface {
	// Quote quotes a validated identifier, every part of it.
	Quote(id tables.Ident) string

	// Placeholder returns the marker of the n-th parameter, counting from 1.
	Placeholder(n int) string

	// SelectPage assembles a page query from its quoted parts; limit is a
	// placeholder for the page size, where and orderBy are never empty.
	SelectPage(columns, from, where, orderBy, limit string) string

	// UpperBoundQuery returns the query of one value that bounds a run for a
	// cursor column of this type. clocked is true when the value is the
	// source's clock (tables.ClockLocal or tables.ClockUTC), from which the
	// run subtracts settle. An empty query means "the largest cursor value".
	UpperBoundQuery(cursor Column, clock string) (query string, clocked bool)

	// Converter returns the function that turns this driver's values of
	// col into portable values (see Row).
	Converter(col Column) (func(any) (any, error), error)

	// Bind turns a portable value into the parameter that compares
	// correctly with col in the source's own type.
	Bind(col Column, v any) (any, error)
}

// ColumnRefiner is implemented by dialects whose driver reports some
// column types too coarsely (go-mssqldb calls a rowversion BINARY).
// NewSQLSource hands it the probed columns of from, the FROM item, and
// reads with the columns it returns.
type ColumnRefiner interface {
	RefineColumns(ctx context.Context, db *sql.DB, from string, cols []Column) ([]Column, error)
}

// CursorChecker is implemented by dialects that refuse some column types
// as a cursor, because no upper bound of a run can be had for them.
type CursorChecker interface {
	CheckCursor(cursor Column) error
}
