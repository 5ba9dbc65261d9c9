package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"

	"github.com/go-sql-driver/mysql"
)

// announceDrop says, before seed drops anything, which database it drops
// and recreates on which server, and what that database holds now, so
// that a database of that name that was not the demo's is not lost
// without a word.
func announceDrop(ctx context.Context, out io.Writer, pg, my *sql.DB, pgAdmin, myAdmin, db string) error {
	var pgTables, myTables int
	var pgExists, myExists bool
	if err := pg.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&pgExists); err != nil {
		return fmt.Errorf("look for database %s in PostgreSQL: %w", db, err)
	}
	if pgExists {
		// A database's tables are only visible from inside it.
		in, err := open(ctx, "pgx", demoDSN(pgAdmin, db))
		if err != nil {
			return err
		}
		defer in.Close()
		if err := in.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").Scan(&pgTables); err != nil {
			return fmt.Errorf("count the tables of %s in PostgreSQL: %w", db, err)
		}
	}
	if err := my.QueryRowContext(ctx, "SELECT COUNT(*) > 0 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).Scan(&myExists); err != nil {
		return fmt.Errorf("look for database %s in MariaDB: %w", db, err)
	}
	if err := my.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", db).Scan(&myTables); err != nil {
		return fmt.Errorf("count the tables of %s in MariaDB: %w", db, err)
	}
	fmt.Fprintf(out, "syncd-demo: dropping and recreating database %s on PostgreSQL %s (%s) and on MariaDB %s (%s)\n",
		db, pgHost(pgAdmin), holds(pgExists, pgTables), myHost(myAdmin), holds(myExists, myTables))
	return nil
}

func holds(exists bool, tables int) string {
	if !exists {
		return "not there yet"
	}
	return fmt.Sprintf("exists, %d tables, all dropped", tables)
}

// pgHost and myHost name a server by its address alone: a DSN may hold a
// password.
func pgHost(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Host != "" {
		return u.Host
	}
	return "(the -pg server)"
}

func myHost(dsn string) string {
	if c, err := mysql.ParseDSN(dsn); err == nil && c.Addr != "" {
		return c.Addr
	}
	return "(the -mysql server)"
}
