package mssql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Describe implements datasync.Cataloger: the table's columns in order
// and its usable indexes, each with its key columns in key order. A
// one-part name is in schema dbo; a three-part name reads the catalog of
// its database. Names travel as parameters; only the database part, a
// validated identifier, is quoted into the statements, since a catalog
// view's database cannot be a parameter.
func (d Dialect) Describe(ctx context.Context, db *sql.DB, id tables.Ident) (datasync.TableInfo, error) {
	prefix, schema, table, err := catalogParts(d, id)
	if err != nil {
		return datasync.TableInfo{}, err
	}
	cols, err := describeColumns(ctx, db, prefix, schema, table)
	if err != nil {
		return datasync.TableInfo{}, err
	}
	if len(cols) == 0 {
		return datasync.TableInfo{}, fmt.Errorf("table %s does not exist or this login cannot see it", id)
	}
	object := d.Quote(tables.Ident{Parts: []string{schema, table}})
	if prefix != "" {
		object = prefix + object
	}
	ixs, err := describeIndexes(ctx, db, prefix, object)
	if err != nil {
		return datasync.TableInfo{}, err
	}
	var views int
	q := "SELECT COUNT(*) FROM " + prefix + "INFORMATION_SCHEMA.VIEWS WHERE TABLE_SCHEMA = @p1 AND TABLE_NAME = @p2"
	if err := db.QueryRowContext(ctx, q, schema, table).Scan(&views); err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read whether %s is a view: %w", id, err)
	}
	return datasync.TableInfo{Columns: cols, Indexes: ixs, View: views > 0}, nil
}

// catalogParts splits id into the catalog prefix ("[db]." or ""), the
// schema and the table.
func catalogParts(d Dialect, id tables.Ident) (prefix, schema, table string, err error) {
	switch p := id.Parts; len(p) {
	case 1:
		return "", "dbo", p[0], nil
	case 2:
		return "", p[0], p[1], nil
	case 3:
		return d.Quote(tables.Ident{Parts: p[:1]}) + ".", p[1], p[2], nil
	}
	return "", "", "", fmt.Errorf("table %s: want 1 to 3 name parts (db.schema.table)", id)
}

// columnsQuery lists the columns in order with their sizes. The length is
// in characters (bytes for binary), -1 for max; the precision is given for
// decimal and numeric only (an int's says nothing the type does not), and
// the scale of a time type is its fractional-second digits.
func columnsQuery(prefix string) string {
	return "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH," +
		" CASE WHEN DATA_TYPE IN ('decimal', 'numeric') THEN NUMERIC_PRECISION END," +
		" COALESCE(NUMERIC_SCALE, DATETIME_PRECISION)" +
		" FROM " + prefix + "INFORMATION_SCHEMA.COLUMNS" +
		" WHERE TABLE_SCHEMA = @p1 AND TABLE_NAME = @p2 ORDER BY ORDINAL_POSITION"
}

func describeColumns(ctx context.Context, db *sql.DB, prefix, schema, table string) ([]datasync.ColumnInfo, error) {
	rows, err := db.QueryContext(ctx, columnsQuery(prefix), schema, table)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	defer rows.Close()
	var cols []datasync.ColumnInfo
	for rows.Next() {
		var c datasync.ColumnInfo
		var nullable string
		var length, precision, scale sql.NullInt64
		if err := rows.Scan(&c.Name, &c.Type, &nullable, &length, &precision, &scale); err != nil {
			return nil, fmt.Errorf("read columns: %w", err)
		}
		c.Length, c.Precision, c.Scale = length.Int64, precision.Int64, scale.Int64
		c.Type = catalogType(c.Type)
		// The server fills a rowversion in every row; Babelfish's catalog
		// calls it nullable all the same.
		c.Nullable = nullable == "YES" && c.Type != typeRowversion
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	return cols, nil
}

// catalogType upper-cases a DATA_TYPE as the driver spells types, and
// calls timestamp ROWVERSION, the name sources use (timestamp is the old
// name of rowversion, not a time).
func catalogType(dataType string) string {
	t := strings.ToUpper(dataType)
	if t == "TIMESTAMP" {
		return typeRowversion
	}
	return t
}

// indexesQuery lists the key columns of the indexes that can serve a
// keyset read: clustered and nonclustered rowstore ones (type 1, 2) that
// are enabled, real and unfiltered (a filtered index holds only some
// rows, so it neither covers every row nor makes the key unique across
// all of them). Included columns are not keys and are left out.
func indexesQuery(prefix string) string {
	return "SELECT i.name, i.is_primary_key, i.is_unique, c.name" +
		" FROM " + prefix + "sys.indexes AS i" +
		" JOIN " + prefix + "sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id" +
		" JOIN " + prefix + "sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id" +
		" WHERE i.object_id = OBJECT_ID(@p1) AND i.type IN (1, 2)" +
		" AND i.is_disabled = 0 AND i.is_hypothetical = 0 AND i.has_filter = 0" +
		" AND ic.is_included_column = 0 AND ic.key_ordinal > 0" +
		" ORDER BY i.index_id, ic.key_ordinal"
}

func describeIndexes(ctx context.Context, db *sql.DB, prefix, object string) ([]datasync.Index, error) {
	rows, err := db.QueryContext(ctx, indexesQuery(prefix), object)
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	defer rows.Close()
	var ixs []datasync.Index
	for rows.Next() {
		var ix datasync.Index
		var col string
		if err := rows.Scan(&ix.Name, &ix.Primary, &ix.Unique, &col); err != nil {
			return nil, fmt.Errorf("read indexes: %w", err)
		}
		// Rows come index by index, key column by key column.
		if n := len(ixs); n > 0 && ixs[n-1].Name == ix.Name {
			ixs[n-1].Columns = append(ixs[n-1].Columns, col)
			continue
		}
		ix.Columns = []string{col}
		ixs = append(ixs, ix)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	return ixs, nil
}
