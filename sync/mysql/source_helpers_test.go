package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// srcServer returns a fresh database's DSN and a pool on it for setting up
// (the session zone there is the server's default, not OpenDB's).
func srcServer(t *testing.T) (string, *sql.DB) {
	t.Helper()
	_, dsn := synctest.MariaDB(t)
	return dsn, synctest.Open(t, "mysql", dsn)
}

func srcTable(name, key, cursor string) tables.Table {
	return tables.Table{Name: name, Source: tables.Source{Table: name, Key: strings.Split(key, ","), Cursor: cursor}}
}

func srcOpen(t *testing.T, dsn string, tbl tables.Table) *datasync.SQLSource {
	t.Helper()
	src, err := OpenSource(context.Background(), dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// srcWalk reads every page up to hi as a run does, each position stored
// and decoded again as the target keeps it between pages.
func srcWalk(t *testing.T, src *datasync.SQLSource, tbl tables.Table, hi any, limit int) []datasync.Row {
	t.Helper()
	m, err := datasync.NewMapping(tbl, src.Columns())
	if err != nil {
		t.Fatal(err)
	}
	var all []datasync.Row
	var pos datasync.Position
	for range 1000 {
		page, err := src.ReadPage(context.Background(), pos, hi, limit)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		c, k, err := datasync.EncodePosition(m.PositionOf(page[len(page)-1]))
		if err != nil {
			t.Fatal(err)
		}
		if pos, err = datasync.DecodePosition(c, k); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("walk: no end after 1000 pages")
	return nil
}

// srcSameRows compares rows value by value, portable type included.
func srcSameRows(t *testing.T, got, want []datasync.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("row %d: got %d values, want %d", i, len(got[i]), len(want[i]))
		}
		for j, w := range want[i] {
			g := got[i][j]
			ok := fmt.Sprintf("%T", g) == fmt.Sprintf("%T", w)
			switch w := w.(type) {
			case time.Time:
				ok = ok && g.(time.Time).Equal(w) && g.(time.Time).Location() == time.UTC
			case []byte:
				ok = ok && bytes.Equal(g.([]byte), w)
			case nil:
			default:
				ok = ok && g == w
			}
			if !ok {
				t.Errorf("row %d, value %d: got %T %#v, want %T %#v", i, j, g, g, w, w)
			}
		}
	}
}

func srcFirsts(rows []datasync.Row) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}
