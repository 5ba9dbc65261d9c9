package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, for the naive loops' reads
)

// targetDDL is the target table: the source's shape in MariaDB types.
func targetDDL(name string) string {
	return "CREATE TABLE " + name + ` (
	id          BIGINT NOT NULL PRIMARY KEY,
	customer_id INT NOT NULL,
	qty         INT NOT NULL,
	status      SMALLINT NOT NULL,
	price       DECIMAL(12,2) NOT NULL,
	amount      DECIMAL(14,4) NOT NULL,
	note        VARCHAR(80) NOT NULL,
	created_at  DATETIME(6) NOT NULL,
	updated_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`
}

// freshTarget drops and recreates a target table, and forgets syncd's
// state of the benchmark table so that the next run is a first load.
func freshTarget(ctx context.Context, db *sql.DB, name string) error {
	stmts := []string{"DROP TABLE IF EXISTS " + name, targetDDL(name)}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recreate target %s: %w", name, err)
		}
	}
	_, err := db.ExecContext(ctx, "DELETE FROM syncd_state WHERE table_name = 'bench_items'")
	if err != nil && !isNoTable(err) {
		return fmt.Errorf("reset state: %w", err)
	}
	return nil
}

func isNoTable(err error) bool {
	me, ok := err.(*gomysql.MySQLError)
	return ok && me.Number == 1146
}

// loadData writes the exported file into an empty table with LOAD DATA
// LOCAL INFILE: the fastest way MariaDB accepts rows, the write limit.
func loadData(ctx context.Context, db *sql.DB, path string) (int64, error) {
	gomysql.RegisterLocalFile(path)
	defer gomysql.DeregisterLocalFile(path)
	// The path is the benchmark's own temporary file, not a value from a
	// row; LOAD DATA takes no parameter for it.
	q := "LOAD DATA LOCAL INFILE '" + path + "' INTO TABLE limit_items CHARACTER SET utf8mb4 (" + strings.Join(columns, ", ") + ")"
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("load data: %w", err)
	}
	return res.RowsAffected()
}

// naive is the loop of the usual hand-written sync: read the changed rows,
// and upsert them per statement in autocommit, per rows of them at a time
// (1: one INSERT ... ON DUPLICATE KEY UPDATE per row). It stops after
// sample rows.
func naive(ctx context.Context, pg, my *sql.DB, sample, per int) (int64, error) {
	if err := freshTarget(ctx, my, "naive_items"); err != nil {
		return 0, err
	}
	rows, err := pg.QueryContext(ctx, "SELECT "+strings.Join(columns, ", ")+" FROM items ORDER BY updated_at, id LIMIT $1", sample)
	if err != nil {
		return 0, fmt.Errorf("naive read: %w", err)
	}
	defer rows.Close()
	var n int64
	batch := make([]any, 0, per*len(columns))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := my.ExecContext(ctx, naiveSQL(len(batch)/len(columns)), batch...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		batch = append(batch, vals...)
		n++
		if len(batch) == per*len(columns) {
			if err := flush(); err != nil {
				return n, fmt.Errorf("naive upsert: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

func naiveSQL(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	var sets []string
	for _, c := range columns[1:] {
		sets = append(sets, c+" = VALUES("+c+")")
	}
	return "INSERT INTO naive_items (" + strings.Join(columns, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
}

// fingerprints sum what a correct copy must agree on: row count, the sum
// of an integer and of a decimal column, and the newest updated_at, each
// as text in the same form on both sides.
const (
	pgFingerprint = "SELECT COUNT(*)::text, COALESCE(SUM(qty), 0)::text, COALESCE(SUM(amount), 0)::text, " +
		"COALESCE(to_char(MAX(updated_at), 'YYYY-MM-DD HH24:MI:SS.US'), '') FROM items"
	myFingerprint = "SELECT COUNT(*), COALESCE(SUM(qty), 0), COALESCE(SUM(amount), 0), " +
		"COALESCE(DATE_FORMAT(MAX(updated_at), '%%Y-%%m-%%d %%H:%%i:%%s.%%f'), '') FROM %s"
)

// sameRows checks that the target table holds what the source holds.
func sameRows(ctx context.Context, pg, my *sql.DB, target string) error {
	var a, b [4]string
	if err := pg.QueryRowContext(ctx, pgFingerprint).Scan(&a[0], &a[1], &a[2], &a[3]); err != nil {
		return fmt.Errorf("fingerprint source: %w", err)
	}
	if err := my.QueryRowContext(ctx, fmt.Sprintf(myFingerprint, target)).Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		return fmt.Errorf("fingerprint target: %w", err)
	}
	if a != b {
		return fmt.Errorf("target %s differs from the source: (count, sum qty, sum amount, max updated_at) %v, source %v", target, b, a)
	}
	return nil
}
