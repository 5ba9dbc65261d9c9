package postgres

import (
	"context"
	"database/sql"

	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.Lister = Dialect{}

// listQuery lists the tables, partitioned tables, views and materialized
// views of a schema (partitions are read through their parent). reltuples
// is -1 (PostgreSQL 14+) or 0 before the first ANALYZE. The identity is
// the first integer column that is an identity or takes a sequence's
// nextval by default (serial).
const listQuery = `SELECT n.nspname, c.relname, c.relkind IN ('v', 'm'),
	CASE WHEN c.reltuples >= 0 AND (c.reltuples > 0 OR c.relpages > 0) THEN CAST(c.reltuples AS bigint) END,
	(SELECT a.attname FROM pg_attribute a
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			AND a.atttypid IN (20, 21, 23)
			AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
		ORDER BY a.attnum LIMIT 1)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = COALESCE(NULLIF($1, ''), current_schema())
	AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
ORDER BY c.relname`

// ListTables implements datasync.Lister.
func (Dialect) ListTables(ctx context.Context, db *sql.DB, schema string) ([]datasync.TableEntry, error) {
	return datasync.QueryTableEntries(ctx, db, listQuery, schema)
}
