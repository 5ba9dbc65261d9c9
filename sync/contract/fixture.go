// Package contract is the suite every source dialect passes: it syncs real
// tables from the dialect's server into a MariaDB target with the engine
// and checks what arrived, row by row and cursor by cursor.
package contract

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// Fixture is what the suite needs of a source dialect.
type Fixture struct {
	Dialect datasync.Dialect
	// NewDatabase returns the DSN of a fresh database of the test's own on
	// the dialect's server, dropped when the test ends.
	NewDatabase func(t testing.TB) string
	// Open opens a pool for a DSN the way syncd does.
	Open func(dsn string) (*sql.DB, error)
	// Types are the dialect's spellings of the column types the suite uses.
	Types Types
}

// Types are column type names in a dialect's DDL.
type Types struct {
	BigInt    string // 64-bit integer
	Int       string // 32-bit integer
	Text      string // Unicode string of up to 200 characters
	Decimal   string // exact decimal of 38 digits, 10 after the point
	Timestamp string // date and time to the microsecond, no zone
	// TimestampName is the driver's DatabaseTypeName of Timestamp.
	TimestampName string
}

// env is one test's source and target, each a database of its own.
type env struct {
	t      *testing.T
	f      Fixture
	src    *sql.DB
	tgt    *sql.DB
	tgtDSN string
}

func newEnv(t *testing.T, f Fixture) *env {
	t.Helper()
	src, err := f.Open(f.NewDatabase(t))
	if err != nil {
		t.Fatalf("open source: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	_, dsn := synctest.MariaDB(t)
	return &env{t: t, f: f, src: src, tgt: synctest.Open(t, "mysql", dsn), tgtDSN: dsn}
}

func (e *env) q(name string) string { return quote(e.f.Dialect, name) }

// srcExec runs DDL or DML on the source with the dialect's placeholders
// written as ? in q.
func (e *env) srcExec(q string, args ...any) {
	e.t.Helper()
	q, args = nullLiterals(q, args)
	if _, err := e.src.Exec(e.placeholders(q), args...); err != nil {
		e.t.Fatalf("source: %s: %v", q, err)
	}
}

// nullLiterals writes the nil arguments of q into it as NULL: Babelfish
// refuses the untyped NULL parameter go-mssqldb sends for nil (TDS type
// 0x1F), and a literal NULL is the same row on every server.
func nullLiterals(q string, args []any) (string, []any) {
	var b strings.Builder
	var kept []any
	n := 0
	for _, r := range q {
		if r == '?' && n < len(args) {
			n++
			if args[n-1] == nil {
				b.WriteString("NULL")
				continue
			}
			kept = append(kept, args[n-1])
		}
		b.WriteRune(r)
	}
	return b.String(), kept
}

func (e *env) placeholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString(e.f.Dialect.Placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (e *env) tgtExec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.tgt.Exec(q, args...); err != nil {
		e.t.Fatalf("target: %s: %v", q, err)
	}
}

// table returns the declaration the suite syncs, with small pages.
func (e *env) table(name string, key []string, batch int) tables.Table {
	return tables.Table{
		Name:      name,
		Source:    tables.Source{Connection: "src", Table: name, Key: key, Cursor: "updated_at", CursorClock: tables.ClockLocal},
		Target:    tables.Target{Connection: "tgt", Table: name},
		BatchSize: batch,
		Settle:    0,
		OnBadRows: tables.OnBadRowsFail,
	}
}

// run syncs t once and returns the run log line.
func (e *env) run(t tables.Table, afterPage func(int) error) (datasync.RunRecord, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, err := datasync.NewSQLSource(ctx, e.src, e.f.Dialect, t)
	if err != nil {
		e.t.Fatalf("open source: %v", err)
	}
	m, err := datasync.NewMapping(t, src.Columns())
	if err != nil {
		e.t.Fatalf("mapping: %v", err)
	}
	id, _ := tables.ParseIdent(t.Target.Table, 2)
	tgt, err := mysqltarget.NewTarget(ctx, e.tgt, mysqltarget.TargetOptions{Table: id, Columns: m.Columns, Key: m.Key})
	if err != nil {
		e.t.Fatalf("open target: %v", err)
	}
	defer tgt.Close()
	return datasync.Run(ctx, datasync.Options{Table: t, Source: src, Target: tgt, Mapping: m,
		Trigger: datasync.TriggerManual, Logger: zerolog.Nop(), AfterPage: afterPage})
}

// mustRun is run that fails the test on error.
func (e *env) mustRun(t tables.Table) datasync.RunRecord {
	e.t.Helper()
	rec, err := e.run(t, nil)
	if err != nil {
		e.t.Fatalf("run %s: %v", t.Name, err)
	}
	return rec
}

// count returns the rows of a target table.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.tgt.QueryRow("SELECT COUNT(*) FROM `" + table + "`").Scan(&n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// storedPosition reads the table's position from syncd_state.
func (e *env) storedPosition(table string) datasync.Position {
	e.t.Helper()
	var cur, key sql.NullString
	err := e.tgt.QueryRow("SELECT cursor_value, last_key FROM syncd_state WHERE table_name = ?", table).Scan(&cur, &key)
	if err != nil {
		e.t.Fatalf("read state of %s: %v", table, err)
	}
	p, err := datasync.DecodePosition(ptr(cur), ptr(key))
	if err != nil {
		e.t.Fatalf("decode state of %s: %v", table, err)
	}
	return p
}

func ptr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// sourceNow reads the source server's wall clock through the dialect's
// own upper-bound query, as a run does.
func (e *env) sourceNow() time.Time {
	e.t.Helper()
	col := datasync.Column{DatabaseType: e.f.Types.TimestampName}
	q, _ := e.f.Dialect.UpperBoundQuery(col, tables.ClockLocal)
	var raw any
	if err := e.src.QueryRow(q).Scan(&raw); err != nil {
		e.t.Fatalf("source clock: %v", err)
	}
	conv, err := e.f.Dialect.Converter(col)
	if err != nil {
		e.t.Fatal(err)
	}
	v, err := conv(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	return v.(time.Time)
}
