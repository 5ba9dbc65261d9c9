package mysql

import (
	"context"
	"database/sql"

	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.Lister = Dialect{}

// listQuery lists the base tables and views of a database. TABLE_ROWS is
// InnoDB's estimate (NULL for a view); MariaDB's system-versioned tables
// are tables, its sequences are not.
const listQuery = `SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE = 'VIEW', t.TABLE_ROWS,
	(SELECT c.COLUMN_NAME FROM information_schema.COLUMNS c
		WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
			AND c.EXTRA LIKE '%auto_increment%' LIMIT 1)
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE())
	AND t.TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
ORDER BY t.TABLE_NAME`

// ListTables implements datasync.Lister: schema is a database.
func (Dialect) ListTables(ctx context.Context, db *sql.DB, schema string) ([]datasync.TableEntry, error) {
	return datasync.QueryTableEntries(ctx, db, listQuery, schema)
}
