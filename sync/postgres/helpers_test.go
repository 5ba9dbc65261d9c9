package postgres

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// open opens the source of tbl on dsn and closes it when the test ends.
func open(t *testing.T, dsn string, tbl tables.Table) *datasync.SQLSource {
	t.Helper()
	src, err := OpenSource(context.Background(), dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// walk reads every page up to hi as a run does, each position stored and
// decoded again as the target would keep it between pages.
func walk(t *testing.T, src *datasync.SQLSource, tbl tables.Table, hi any, limit int) []datasync.Row {
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

// sameRows reports the first difference between rows, comparing the
// portable type of every value as well as the value.
func sameRows(t *testing.T, got, want []datasync.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("row %d: got %d values, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if err := sameValue(got[i][j], want[i][j]); err != nil {
				t.Errorf("row %d, value %d: %v", i, j, err)
			}
		}
	}
}

func sameValue(got, want any) error {
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
		return fmt.Errorf("got %T %#v, want %T %#v", got, got, want, want)
	}
	ok := got == nil
	switch w := want.(type) {
	case time.Time:
		g := got.(time.Time)
		ok = g.Equal(w) && g.Location() == time.UTC
	case []byte:
		ok = bytes.Equal(got.([]byte), w)
	case nil:
	default:
		ok = got == want
	}
	if !ok {
		return fmt.Errorf("got %#v, want %#v", got, want)
	}
	return nil
}

// ids returns the first value of each row.
func ids(rows []datasync.Row) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}
