package datasync

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/syncd/syncd/tables"
)

// TableEntry is one table or view of a schema as a Lister lists it.
type TableEntry struct {
	// Name is schema.table (database.table on MySQL), unquoted.
	Name tables.Ident
	View bool
	// Rows is the catalog's estimate of the row count (statistics, not a
	// count), -1 when the catalog has none yet.
	Rows int64
	// Identity is the integer column the server numbers by itself
	// (IDENTITY, AUTO_INCREMENT, a serial or identity column), "" if none.
	Identity string
}

// Lister is implemented by dialects that can list the tables and views of
// a schema; syncd discover reads the catalog through it. An empty schema
// means the connection's own (dbo's database, current_schema(),
// DATABASE()). Entries come sorted by name; the server's own objects are
// left out.
type Lister interface {
	ListTables(ctx context.Context, db *sql.DB, schema string) ([]TableEntry, error)
}

// QueryTableEntries runs a dialect's list query, with schema as its one
// parameter, and reads its rows of (schema, name, is view, estimated rows
// or NULL, identity column or NULL); the dialects' ListTables share it.
func QueryTableEntries(ctx context.Context, db *sql.DB, query, schema string) ([]TableEntry, error) {
	out, err := queryTableEntries(ctx, db, query, schema)
	if err != nil {
		return nil, fmt.Errorf("list tables of schema %q: %w", schema, err)
	}
	return out, nil
}

func queryTableEntries(ctx context.Context, db *sql.DB, query, schema string) ([]TableEntry, error) {
	rows, err := db.QueryContext(ctx, query, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TableEntry
	for rows.Next() {
		var schema, name string
		var e TableEntry
		var est sql.NullInt64
		var ident sql.NullString
		if err := rows.Scan(&schema, &name, &e.View, &est, &ident); err != nil {
			return nil, err
		}
		e.Name = tables.Ident{Parts: []string{schema, name}}
		e.Rows, e.Identity = -1, ident.String
		if est.Valid {
			e.Rows = est.Int64
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
