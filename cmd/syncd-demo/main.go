// Command syncd-demo makes the demo's source data: ERP-like tables in the
// local PostgreSQL (seed), rows that keep changing (churn), and the target
// tables in the local MariaDB. make run uses it; syncd does the syncing.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	pgAdmin := flag.String("pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL DSN of a database to create the demo database from")
	myAdmin := flag.String("mysql", "root@tcp(127.0.0.1:3306)/", "MariaDB DSN without a database")
	every := flag.Duration("every", time.Second, "churn: how often to change rows")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: syncd-demo [flags] seed|churn")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch flag.Arg(0) {
	case "seed":
		err = seed(ctx, os.Stdout, *pgAdmin, *myAdmin, demoDB)
	case "churn":
		err = churn(ctx, *pgAdmin, *every)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "syncd-demo:", err)
		os.Exit(1)
	}
}

const demoDB = "syncd_demo"

// open opens and pings a pool.
func open(ctx context.Context, driver, dsn string) (*sql.DB, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect %s: %w", driver, err)
	}
	return db, nil
}

func execAll(ctx context.Context, db *sql.DB, stmts ...string) error {
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s...: %w", q, err)
		}
	}
	return nil
}
