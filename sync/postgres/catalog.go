package postgres

import (
	"context"
	"database/sql"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// columnsQuery lists a table's columns in order. The type is the standard
// name (character varying, timestamp without time zone...), or the type's
// own name where the standard says only USER-DEFINED or ARRAY. The length
// is -1 for a varchar without one; precision is given for numeric only
// (an integer's is in bits), and the scale of a time type is its
// fractional-second digits.
const columnsQuery = `SELECT column_name,
	CASE WHEN data_type IN ('USER-DEFINED', 'ARRAY') THEN udt_name ELSE data_type END,
	is_nullable = 'YES',
	CASE WHEN data_type IN ('character varying', 'character', 'bit', 'bit varying')
		THEN COALESCE(character_maximum_length, -1) END,
	CASE WHEN data_type = 'numeric' THEN numeric_precision END,
	CASE WHEN data_type = 'numeric' THEN numeric_scale ELSE datetime_precision END
FROM information_schema.columns
WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2
ORDER BY ordinal_position`

// indexesQuery lists a table's indexes with their key columns in index
// order (INCLUDE columns left out). Partial and expression indexes are
// left out too: neither can serve a keyset over plain columns.
const indexesQuery = `SELECT i.relname, x.indisprimary, x.indisunique, a.attname
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class i ON i.oid = x.indexrelid
CROSS JOIN LATERAL unnest(CAST(x.indkey AS int2[])) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = COALESCE($1, current_schema()) AND t.relname = $2
	AND k.ord <= x.indnkeyatts AND x.indpred IS NULL AND x.indexprs IS NULL
ORDER BY i.relname, k.ord`

// Describe implements datasync.Cataloger for table, named
// [[database.]schema.]table: the schema defaults to current_schema(), and
// a database part is not looked at (a session sees only the database it is
// connected to). A table that does not exist gives an empty TableInfo, not
// an error.
func (Dialect) Describe(ctx context.Context, db *sql.DB, table tables.Ident) (datasync.TableInfo, error) {
	var schema sql.NullString
	if n := len(table.Parts); n > 1 {
		schema = sql.NullString{String: table.Parts[n-2], Valid: true}
	}
	cols, err := datasync.QueryColumnInfo(ctx, db, columnsQuery, schema, table.Name())
	if err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read columns of %s: %w", table, err)
	}
	ixs, err := describeIndexes(ctx, db, schema, table.Name())
	if err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read indexes of %s: %w", table, err)
	}
	var view bool
	if err := db.QueryRowContext(ctx, viewQuery, schema, table.Name()).Scan(&view); err != nil {
		return datasync.TableInfo{}, fmt.Errorf("read whether %s is a view: %w", table, err)
	}
	return datasync.TableInfo{Columns: cols, Indexes: ixs, View: view}, nil
}

// viewQuery tells whether a name is a view.
const viewQuery = `SELECT EXISTS (SELECT 1 FROM information_schema.views
WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2)`

func describeIndexes(ctx context.Context, db *sql.DB, schema sql.NullString, name string) ([]datasync.Index, error) {
	rows, err := db.QueryContext(ctx, indexesQuery, schema, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ixs []datasync.Index
	for rows.Next() {
		var ix datasync.Index
		var col string
		if err := rows.Scan(&ix.Name, &ix.Primary, &ix.Unique, &col); err != nil {
			return nil, err
		}
		if n := len(ixs); n > 0 && ixs[n-1].Name == ix.Name {
			ixs[n-1].Columns = append(ixs[n-1].Columns, col)
			continue
		}
		ix.Columns = []string{col}
		ixs = append(ixs, ix)
	}
	return ixs, rows.Err()
}
