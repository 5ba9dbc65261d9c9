package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/microsoft/go-mssqldb" // the "sqlserver" driver
)

// erpSource is one source of the ERP stage: the same erp_lines table in
// PostgreSQL or in a T-SQL server, and the SQL that differs between them.
type erpSource struct {
	name string // as the report names it
	// key names the syncd declaration (erp_KEY) and its target table.
	key   string
	db    *sql.DB
	table string
	// touch changes a tenth of the rows (id % 10 = the parameter) and
	// moves their updated_at behind the source's clock, spread over a
	// second by a hash of the key so that the cursor order is not key
	// order, as a day of edits would.
	touch string
	// fingerprint gives count, sum(qty), sum(amount), count of approved
	// and max(updated_at).
	fingerprint string
	param       string // the placeholder of one parameter
}

func postgresERP(db *sql.DB) *erpSource {
	return &erpSource{
		name: "PostgreSQL", key: "pg", db: db, table: "erp_lines", param: "$1",
		touch: `UPDATE erp_lines SET qty = qty + 1, amount = amount + 1.50, status = (status + 1) % 6,
			updated_at = CAST(clock_timestamp() AS timestamp) - interval '5 seconds' - ((id * 7919) % 1000000) * interval '1 microsecond'
			WHERE id % 10 = $1`,
		fingerprint: "SELECT COUNT(*), SUM(qty)::text, SUM(amount)::text, SUM(approved::int), MAX(updated_at) FROM erp_lines",
	}
}

// tsqlERP is the T-SQL source; the bound of a datetime2 cursor there is
// SYSDATETIME(), the clock that touch stamps with.
func tsqlERP(db *sql.DB) *erpSource {
	return &erpSource{
		name: "T-SQL (" + tsqlServerName(db) + ")", key: "tsql", db: db, table: "dbo.erp_lines", param: "@p1",
		touch: `UPDATE dbo.erp_lines SET qty = qty + 1, amount = amount + 1.50, status = (status + 1) % 6,
			updated_at = DATEADD(microsecond, -CAST((id * 7919) % 1000000 AS int), DATEADD(second, -5, SYSDATETIME()))
			WHERE id % 10 = @p1`,
		fingerprint: `SELECT COUNT_BIG(*), CAST(SUM(qty) AS varchar(40)), CAST(SUM(amount) AS varchar(40)),
			SUM(CAST(approved AS bigint)), MAX(updated_at) FROM dbo.erp_lines`,
	}
}

func tsqlServerName(db *sql.DB) string {
	var bf sql.NullInt64
	if db.QueryRow("SELECT CAST(SERVERPROPERTY('babelfish') AS INT)").Scan(&bf) == nil && bf.Valid && bf.Int64 == 1 {
		return "Babelfish"
	}
	return "SQL Server"
}

// openTSQL makes the database name on the T-SQL server of adminDSN (a
// sqlserver:// URL), replacing one left behind, and opens it.
func openTSQL(ctx context.Context, adminDSN, name string) (*sql.DB, string, error) {
	admin, err := sql.Open("sqlserver", adminDSN)
	if err != nil {
		return nil, "", err
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		return nil, "", fmt.Errorf("t-sql server of -mssql unreachable (make bench-smoke gets it from .ci/babelfish): %w", err)
	}
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name} {
		if err := execRetried(ctx, admin, q); err != nil {
			return nil, "", fmt.Errorf("t-sql: %s: %w", q, err)
		}
	}
	u, err := url.Parse(adminDSN)
	if err != nil || u.Scheme != "sqlserver" {
		return nil, "", errors.New("-mssql: want a sqlserver:// URL")
	}
	q := u.Query()
	q.Set("database", name)
	u.RawQuery = q.Encode()
	db, err := sql.Open("sqlserver", u.String())
	return db, u.String(), err
}

// dropTSQL drops the benchmark's database from the T-SQL server.
func dropTSQL(ctx context.Context, adminDSN, name string) error {
	admin, err := sql.Open("sqlserver", adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	return execRetried(ctx, admin, "DROP DATABASE IF EXISTS "+name)
}

func dropPostgres(ctx context.Context, adminURL, name string) error {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// execRetried runs q, again after a moment while Babelfish reports that
// another session changed the same catalog row (it keeps databases in
// shared PostgreSQL catalogs, and tests make and drop theirs beside us).
func execRetried(ctx context.Context, db *sql.DB, q string) error {
	var err error
	for i := range 20 {
		if _, err = db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "concurrently") {
			return err
		}
		time.Sleep(time.Duration(50+i*50) * time.Millisecond)
	}
	return err
}

// touchTenth changes the rows of one tenth (id % 10 = slot).
func (s *erpSource) touchTenth(ctx context.Context, slot int) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.touch, slot)
	if err != nil {
		return 0, fmt.Errorf("%s: update a tenth of erp_lines: %w", s.name, err)
	}
	return res.RowsAffected()
}

// export writes the rows of the source's erp_lines that where selects
// (with at most one parameter, args) in key order to path, in LOAD DATA's
// text format.
func (s *erpSource) export(ctx context.Context, path, where string, args ...any) error {
	q := "SELECT " + strings.Join(erpColumns, ", ") + " FROM " + s.table + " " + where + " ORDER BY id"
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: export erp_lines: %w", s.name, err)
	}
	defer rows.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	vals := make([]any, len(erpColumns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		// A bufio.Writer keeps its first error and returns it from Flush.
		for i, v := range vals {
			if i > 0 {
				w.WriteByte('\t') //nolint:errcheck // Flush reports it
			}
			w.WriteString(tsvField(v)) //nolint:errcheck // Flush reports it
		}
		w.WriteByte('\n') //nolint:errcheck // Flush reports it
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// tsvField writes one value as LOAD DATA's default format reads it.
func tsvField(v any) string {
	switch v := v.(type) {
	case nil:
		return `\N`
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case time.Time:
		return v.Format("2006-01-02 15:04:05.000000")
	case []byte:
		return tsvEscape.Replace(string(v))
	case string:
		return tsvEscape.Replace(v)
	}
	return tsvEscape.Replace(fmt.Sprint(v))
}

var tsvEscape = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// fingerprintOf reads the source's fingerprint, normalised to compare with
// the target's.
func (s *erpSource) fingerprintOf(ctx context.Context) (erpPrint, error) {
	p, err := scanPrint(s.db.QueryRowContext(ctx, s.fingerprint))
	if err != nil {
		return p, fmt.Errorf("%s: fingerprint erp_lines: %w", s.name, err)
	}
	return p, nil
}

// erpPrint is what a correct copy of erp_lines agrees on.
type erpPrint struct {
	count, approved int64
	qty, amount     string // exact, as big.Rat text
	newest          time.Time
}

func scanPrint(row *sql.Row) (erpPrint, error) {
	var p erpPrint
	var qty, amount []byte
	if err := row.Scan(&p.count, &qty, &amount, &p.approved, &p.newest); err != nil {
		return p, err
	}
	for _, f := range []struct {
		in  []byte
		out *string
	}{{qty, &p.qty}, {amount, &p.amount}} {
		r, ok := new(big.Rat).SetString(string(f.in))
		if !ok {
			return p, fmt.Errorf("sum %q is no number", f.in)
		}
		*f.out = r.RatString()
	}
	// The wall clock, whatever zone the driver attached to it.
	p.newest = time.Date(p.newest.Year(), p.newest.Month(), p.newest.Day(), p.newest.Hour(),
		p.newest.Minute(), p.newest.Second(), p.newest.Nanosecond(), time.UTC)
	return p, nil
}

// sameERP checks the MariaDB table target against the source.
func (s *erpSource) sameERP(ctx context.Context, my *sql.DB, target string) error {
	want, err := s.fingerprintOf(ctx)
	if err != nil {
		return err
	}
	got, err := scanPrint(my.QueryRowContext(ctx, "SELECT COUNT(*), SUM(qty), SUM(amount), SUM(approved), MAX(updated_at) FROM "+target))
	if err != nil {
		return fmt.Errorf("fingerprint %s: %w", target, err)
	}
	if got != want {
		return fmt.Errorf("target %s differs from the %s source: (count, approved, sum qty, sum amount, max updated_at) %v, source %v", target, s.name, got, want)
	}
	return nil
}
