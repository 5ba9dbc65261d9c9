// Command syncd-tsql runs T-SQL batches read from stdin against a SQL Server (or
// Babelfish) DSN, for scripts that have no sqlcmd: batches are separated by
// lines that hold only GO, as sqlcmd separates them. With -query it runs
// one query instead and prints its rows, tab-separated.
//
//	go run ./cmd/syncd-tsql -dsn "$DSN" < setup.sql
//	go run ./cmd/syncd-tsql -dsn "$DSN" -query 'SELECT COUNT(*) FROM sys.tables'
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/microsoft/go-mssqldb"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("SYNCD_TEST_MSSQL_DSN"), "sqlserver:// DSN")
	query := flag.String("query", "", "run this query and print its rows instead of reading stdin")
	timeout := flag.Duration("timeout", 30*time.Minute, "time allowed for everything")
	flag.Parse()
	if err := run(*dsn, *query, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "tsql:", err)
		os.Exit(1)
	}
}

func run(dsn, query string, timeout time.Duration) error {
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		return err
	}
	defer db.Close() //nolint:errcheck // a close error after the work is done changes nothing
	// One connection: a batch may rely on what the previous one set.
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if query != "" {
		return printRows(ctx, db, query)
	}
	return runBatches(ctx, db, bufio.NewScanner(os.Stdin))
}

// runBatches executes every GO-separated batch in order and stops at the
// first error, naming the batch's line.
func runBatches(ctx context.Context, db *sql.DB, in *bufio.Scanner) error {
	in.Buffer(make([]byte, 1<<20), 64<<20)
	var batch strings.Builder
	start, line := 1, 0
	flush := func() error {
		text := strings.TrimSpace(batch.String())
		batch.Reset()
		if text == "" {
			return nil
		}
		if _, err := db.ExecContext(ctx, text); err != nil {
			return fmt.Errorf("batch at line %d: %w\n%s", start, err, text)
		}
		return nil
	}
	for in.Scan() {
		line++
		if strings.EqualFold(strings.TrimSpace(in.Text()), "GO") {
			if err := flush(); err != nil {
				return err
			}
			start = line + 1
			continue
		}
		batch.WriteString(in.Text())
		batch.WriteByte('\n')
	}
	if err := in.Err(); err != nil {
		return err
	}
	return flush()
}

func printRows(ctx context.Context, db *sql.DB, query string) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close() //nolint:errcheck // rows.Err below reports what matters
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = v.String
		}
		fmt.Println(strings.Join(out, "\t"))
	}
	return rows.Err()
}
