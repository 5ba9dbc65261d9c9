package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Under CI the ERP stage refuses to run without its T-SQL source, rather
// than measuring PostgreSQL alone and passing (make bench-smoke in CI).
func TestERPSourcesWithoutTSQLUnderCI(t *testing.T) {
	for _, dsn := range []string{"", "none"} {
		t.Setenv("CI", "true")
		b := &bench{o: options{msDSN: dsn, erpRows: 10}}
		if _, err := b.erpSources(context.Background()); err == nil || !strings.Contains(err.Error(), "no T-SQL server") {
			t.Errorf("-mssql %q under CI: got %v, want an error naming the missing T-SQL server", dsn, err)
		}
		t.Setenv("CI", "")
		srcs, err := b.erpSources(context.Background())
		if err != nil || len(srcs) != 1 || b.erp.skipped == "" {
			t.Errorf("-mssql %q outside CI: got %d sources, %v, skipped %q; want PostgreSQL alone, said", dsn, len(srcs), err, b.erp.skipped)
		}
	}
}

// The rows both sources get: descriptions of 60-200 characters, without
// a UTF-16 surrogate pair (Babelfish's bulk load refuses one), with
// non-ASCII text; decimals exact at their scale.
func TestERPRows(t *testing.T) {
	var nonASCII int
	err := erpRows(2000, 30, func(l erpLine) error {
		n := utf8.RuneCountInString(l.text)
		if n < 60 || n > 200 {
			t.Errorf("row %d: description of %d characters", l.id, n)
		}
		for _, r := range l.text {
			if r > 0xFFFF {
				t.Fatalf("row %d: %q needs a surrogate pair", l.id, r)
			}
		}
		if len(l.text) != n {
			nonASCII++
		}
		if l.updated.Before(l.created) || l.updated.Nanosecond()%1000 != 0 {
			t.Errorf("row %d: updated_at %v, created_at %v", l.id, l.updated, l.created)
		}
		return nil
	})
	if err != nil || nonASCII == 0 {
		t.Errorf("got %v and %d rows with non-ASCII text", err, nonASCII)
	}
	if got := decimalText(-12345, 4); got != "-1.2345" {
		t.Errorf("decimalText(-12345, 4) = %s", got)
	}
}

// tsvField writes what LOAD DATA reads back as the same value.
func TestTSVField(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, `\N`}, {int64(-7), "-7"}, {true, "1"}, {false, "0"}, {at, "2026-01-02 03:04:05.123456"},
		{[]byte("12.5000"), "12.5000"}, {"a\tb\\c\nd", `a\tb\\c\nd`}, {"供应商 Müller", "供应商 Müller"},
	} {
		if got := tsvField(c.v); got != c.want {
			t.Errorf("tsvField(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// -erp-settings adds each comma-separated setting as a line of every
// declaration, and the declaration still loads with it.
func TestERPSettingsReachTheDeclarations(t *testing.T) {
	dir := t.TempDir()
	if _, err := writeERPConfig(dir, "postgres://x", "", "root@tcp(127.0.0.1:1)/x", 100, true, "lookback: 0s, merge_pages: 10"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "tables", "erp_pg.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "create: true\nlookback: 0s\nmerge_pages: 10\n") {
		t.Fatalf("declaration:\n%s\nwant the two settings as its last lines", b)
	}
}

// The report's command line never carries the T-SQL server's password.
func TestCommandLineRedactsDSNs(t *testing.T) {
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	os.Args = []string{"/x/syncd-bench", "-mssql", "sqlserver://u:s3cretpw@127.0.0.1:1433?database=master", "-runs", "3"}
	got := commandLine()
	if strings.Contains(got, "s3cretpw") || !strings.HasPrefix(got, "syncd-bench -mssql sqlserver://u:") || !strings.HasSuffix(got, " -runs 3") {
		t.Fatalf("command line %q: want the password hidden and the rest kept", got)
	}
}
