package datasync

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Column is a source column as the source reports it.
type Column struct {
	Name string
	// DatabaseType is the driver's upper-case type name (DATETIME2,
	// NUMERIC, VARCHAR...), which decides how values are converted and how
	// a cursor or key value is bound as a parameter.
	DatabaseType string
}

// Row is one row's values in portable form, in the order of the columns it
// was read with: nil, int64, uint64, float64, string (also exact decimals
// and canonical GUIDs), []byte, or time.Time (wall clock in UTC for types
// without a zone, the instant in UTC for types with one).
type Row []any

// Source reads the rows of one declared table.
//
// Every method is a short read with no transaction held open between calls,
// so any call may be retried.
type Source interface {
	// Columns returns the columns every Row of ReadPage holds, in order. It
	// includes the key and cursor columns.
	Columns() []Column

	// UpperBound returns the highest cursor value a run started now may
	// read: for time cursors the source's own clock minus settle, for
	// integer cursors the largest value present. A run never reads past it,
	// so rows of transactions still open in the source wait for a later run.
	// It returns nil when the source holds no rows to bound.
	UpperBound(ctx context.Context, settle time.Duration) (any, error)

	// ReadPage returns at most limit rows that come after pos in (cursor,
	// key) order and whose cursor is at most hi, ordered by cursor then key.
	// Fewer than limit rows means there are no more. When the table
	// declares source.deleted_when, each row holds one more value after
	// its Columns: int64 1 when the row is deleted in the source, else 0.
	ReadPage(ctx context.Context, pos Position, hi any, limit int) ([]Row, error)

	// Close releases the source's connections.
	Close() error
}

// TableInfo is what a database's catalog says of a table.
type TableInfo struct {
	Columns []ColumnInfo
	Indexes []Index
	// View is true when the name is a view: its catalog says nothing of
	// its base tables' indexes, and may call every column nullable.
	View bool
}

// ColumnInfo is one column in a catalog.
type ColumnInfo struct {
	Name     string
	Type     string
	Nullable bool
	// Length is the declared length of a character or binary column, in
	// characters (bytes for binary), -1 for an unbounded one (nvarchar(max),
	// text), 0 where the type has none.
	Length int64
	// Precision and Scale are a decimal's digits; Scale is also the
	// fractional-second digits of a time type (datetime2(3): 3).
	Precision, Scale int64
}

// Declared renders the column's type with its size, as it would be
// declared: NVARCHAR(50), DECIMAL(18,2), VARBINARY(max). Types whose size
// is part of their name already (MySQL's varchar(20)) are left as they
// are. Schema drift compares columns by it.
func (c ColumnInfo) Declared() string {
	switch {
	case strings.Contains(c.Type, "("):
		return c.Type
	case c.Length < 0:
		return c.Type + "(max)"
	case c.Length > 0:
		return fmt.Sprintf("%s(%d)", c.Type, c.Length)
	case c.Precision > 0 && c.Scale >= 0 && isDecimalType(c.Type):
		return fmt.Sprintf("%s(%d,%d)", c.Type, c.Precision, c.Scale)
	}
	return c.Type
}

func isDecimalType(typ string) bool {
	t := strings.ToUpper(typ)
	return t == "DECIMAL" || t == "NUMERIC"
}

// Index is one index in a catalog, its columns in index order.
type Index struct {
	Name    string
	Primary bool
	Unique  bool
	Columns []string
}

// Describer is implemented by sources and targets that can read their
// table's catalog; syncd check --connect uses it. A source declared with a
// query has no catalog and does not implement it.
type Describer interface {
	Describe(ctx context.Context) (TableInfo, error)
}

// QueryColumnInfo runs a catalog query whose rows are (name, type,
// nullable, length, precision, scale), the last three NULL where the type
// has none, and returns them as ColumnInfo; the dialects' Describe share it.
func QueryColumnInfo(ctx context.Context, db *sql.DB, query string, args ...any) ([]ColumnInfo, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []ColumnInfo
	for rows.Next() {
		var c ColumnInfo
		var length, precision, scale sql.NullInt64
		if err := rows.Scan(&c.Name, &c.Type, &c.Nullable, &length, &precision, &scale); err != nil {
			return nil, err
		}
		c.Length, c.Precision, c.Scale = length.Int64, precision.Int64, scale.Int64
		cols = append(cols, c)
	}
	return cols, rows.Err()
}
