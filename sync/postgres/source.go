package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// OpenDB returns a database/sql pool for dsn (a postgres:// URL or
// key=value string). It parses dsn at once, so that a malformed DSN fails
// here rather than at the first query, but connects to nothing. Errors
// never hold the DSN's password.
//
// Statements are described afresh each time (pgx's describe_exec mode)
// unless the DSN sets default_query_exec_mode: pgx's default caches each
// statement prepared on a connection, and once a source table's columns
// change (ALTER TABLE) the server refuses every cached plan of it ("cached
// plan must not change result type") on every connection of the pool,
// where syncd must read the new columns and say what changed. A page is
// large enough that the extra describe costs little.
func OpenDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres dsn: %w", tables.Scrub(err, dsn))
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	}
	return stdlib.OpenDB(*cfg), nil
}

// OpenSource connects to dsn and prepares reading the source of t (see
// datasync.NewSQLSource). The source owns its pool: Close closes it.
// Errors never hold the DSN's password.
func OpenSource(ctx context.Context, dsn string, t tables.Table) (*datasync.SQLSource, error) {
	db, err := OpenDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("open source of %s: %w", t.Name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open source of %s: %w", t.Name, tables.Scrub(err, dsn))
	}
	src, err := datasync.NewSQLSource(ctx, db, Dialect{}, t)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open source of %s: %w", t.Name, tables.Scrub(err, dsn))
	}
	return src.OwnDB(), nil
}
