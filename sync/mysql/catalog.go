package mysql

import (
	"context"
	"database/sql"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// catalogColumnsSQL lists a table's columns in order, with their full
// type (varchar(20), bigint(20) unsigned...) and its sizes: the scale of
// a time type is its fractional-second digits.
const catalogColumnsSQL = `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES',
	CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, COALESCE(NUMERIC_SCALE, DATETIME_PRECISION)
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION`

// catalogIndexesSQL lists a table's indexes, their columns in index order.
// COLUMN_NAME is NULL for an expression of a functional index (MySQL 8).
const catalogIndexesSQL = `SELECT INDEX_NAME, NON_UNIQUE = 0, COLUMN_NAME
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
ORDER BY INDEX_NAME, SEQ_IN_INDEX`

// Describe reads the catalog of table ([db.]table; the database defaults
// to the connection's, DATABASE()) from information_schema: its columns
// in order with their nullability, and its indexes with their columns in
// index order, the primary key named PRIMARY. A table that does not exist
// gives an empty TableInfo, not an error. A key part that is an expression
// (a functional index of MySQL 8) is listed as "(expression)": such an
// index serves no keyset, but a UNIQUE one still decides which row an
// upsert matches, so it must not vanish.
func Describe(ctx context.Context, db *sql.DB, table tables.Ident) (datasync.TableInfo, error) {
	var dbName sql.NullString
	switch len(table.Parts) {
	case 1:
	case 2:
		dbName = sql.NullString{String: table.Parts[0], Valid: true}
	default:
		return datasync.TableInfo{}, fmt.Errorf("describe %s: a MySQL table is named db.table at most", table)
	}
	cols, err := datasync.QueryColumnInfo(ctx, db, catalogColumnsSQL, dbName, table.Name())
	if err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read columns of %s: %w", table, err)
	}
	ixs, err := describeIndexes(ctx, db, dbName, table.Name())
	if err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read indexes of %s: %w", table, err)
	}
	var view bool
	if err := db.QueryRowContext(ctx, catalogViewSQL, dbName, table.Name()).Scan(&view); err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read whether %s is a view: %w", table, err)
	}
	return datasync.TableInfo{Columns: cols, Indexes: ixs, View: view}, nil
}

// catalogViewSQL tells whether a name is a view.
const catalogViewSQL = `SELECT COUNT(*) > 0 FROM information_schema.VIEWS
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`

func describeIndexes(ctx context.Context, db *sql.DB, dbName sql.NullString, name string) ([]datasync.Index, error) {
	rows, err := db.QueryContext(ctx, catalogIndexesSQL, dbName, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ixs []datasync.Index
	for rows.Next() {
		var ixName string
		var unique bool
		var col sql.NullString
		if err := rows.Scan(&ixName, &unique, &col); err != nil {
			return nil, err
		}
		if !col.Valid {
			col.String = "(expression)"
		}
		if n := len(ixs); n > 0 && ixs[n-1].Name == ixName {
			ixs[n-1].Columns = append(ixs[n-1].Columns, col.String)
			continue
		}
		ixs = append(ixs, datasync.Index{Name: ixName, Primary: ixName == "PRIMARY", Unique: unique, Columns: []string{col.String}})
	}
	return ixs, rows.Err()
}
