package postgres

import (
	"reflect"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

var goldenCols = []datasync.Column{
	{Name: "id", DatabaseType: "INT8"},
	{Name: "sub", DatabaseType: "TEXT"},
	{Name: "order", DatabaseType: "TIMESTAMP"},
	{Name: "供应商名称", DatabaseType: "TEXT"},
}

func TestPageQueryGolden(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	hi := t0.Add(time.Hour)
	table := tables.Table{Name: "g", Source: tables.Source{Table: "erp.items", Key: []string{"id", "sub"}, Cursor: "order"}}
	filtered := table
	filtered.Source.Where = "sub <> 'x'"
	query := tables.Table{Name: "q", Source: tables.Source{Query: "SELECT * FROM a JOIN b USING (id)", Key: []string{"id"}, Cursor: "order"}}
	tests := []struct {
		name  string
		table tables.Table
		pos   datasync.Position
		sql   string
		args  []any
	}{
		{"initial load", table, datasync.Position{},
			`SELECT "id", "sub", "order", "供应商名称" FROM "erp"."items" WHERE "order" <= $1 ORDER BY "order", "id", "sub" LIMIT $2`,
			[]any{hi, int64(7)}},
		{"inclusive start", table, datasync.Position{Cursor: t0},
			`SELECT "id", "sub", "order", "供应商名称" FROM "erp"."items" WHERE "order" >= $1 AND "order" <= $2 ORDER BY "order", "id", "sub" LIMIT $3`,
			[]any{t0, hi, int64(7)}},
		{"after a row", table, datasync.Position{Cursor: t0, Key: []any{int64(5), "b"}},
			`SELECT "id", "sub", "order", "供应商名称" FROM "erp"."items" WHERE "order" >= $1 AND "order" <= $2 AND ("order" > $3 OR ("order" = $4 AND ("id" > $5 OR ("id" = $6 AND "sub" > $7)))) ORDER BY "order", "id", "sub" LIMIT $8`,
			[]any{t0, hi, t0, t0, int64(5), int64(5), "b", int64(7)}},
		{"where", filtered, datasync.Position{},
			`SELECT "id", "sub", "order", "供应商名称" FROM "erp"."items" WHERE "order" <= $1 AND (sub <> 'x') ORDER BY "order", "id", "sub" LIMIT $2`,
			[]any{hi, int64(7)}},
		{"query", query, datasync.Position{Cursor: t0, Key: []any{int64(5)}},
			`SELECT "id", "sub", "order", "供应商名称" FROM (SELECT * FROM a JOIN b USING (id)) syncd_src WHERE "order" >= $1 AND "order" <= $2 AND ("order" > $3 OR ("order" = $4 AND "id" > $5)) ORDER BY "order", "id" LIMIT $6`,
			[]any{t0, hi, t0, t0, int64(5), int64(7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := datasync.NewSQLSourceWithColumns(nil, Dialect{}, tt.table, goldenCols)
			if err != nil {
				t.Fatal(err)
			}
			q, args, err := src.PageQuery(tt.pos, hi, 7)
			if err != nil {
				t.Fatal(err)
			}
			if q != tt.sql {
				t.Errorf("sql:\n got %s\nwant %s", q, tt.sql)
			}
			if !reflect.DeepEqual(args, tt.args) {
				t.Errorf("args:\n got %#v\nwant %#v", args, tt.args)
			}
		})
	}
}

func TestQuoteOddNames(t *testing.T) {
	src, err := datasync.NewSQLSourceWithColumns(nil, Dialect{},
		tables.Table{Name: "odd", Source: tables.Source{Table: `"we""ird"`, Key: []string{"key"}, Cursor: `a"b`}},
		[]datasync.Column{{Name: "key", DatabaseType: "INT4"}, {Name: `a"b`, DatabaseType: "INT8"}})
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := src.PageQuery(datasync.Position{}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "key", "a""b" FROM "we""ird" WHERE 1=1 ORDER BY "a""b", "key" LIMIT $1`
	if q != want {
		t.Errorf("got  %s\nwant %s", q, want)
	}
}

func TestUpperBoundQueries(t *testing.T) {
	tests := []struct {
		typ, clock, query string
		clocked           bool
	}{
		{"TIMESTAMP", tables.ClockLocal, "SELECT CAST(clock_timestamp() AS timestamp)", true},
		{"TIMESTAMP", tables.ClockUTC, "SELECT (clock_timestamp() AT TIME ZONE 'UTC')", true},
		{"TIMESTAMPTZ", tables.ClockLocal, "SELECT clock_timestamp()", true},
		{"TIMESTAMPTZ", tables.ClockUTC, "SELECT clock_timestamp()", true},
		{"DATE", "", "SELECT CAST(clock_timestamp() AS timestamp) - INTERVAL '1 day'", true},
		{"INT8", tables.ClockLocal, "", false},
	}
	for _, tt := range tests {
		q, clocked := Dialect{}.UpperBoundQuery(datasync.Column{Name: "c", DatabaseType: tt.typ}, tt.clock)
		if q != tt.query || clocked != tt.clocked {
			t.Errorf("%s/%s: got %q %v, want %q %v", tt.typ, tt.clock, q, clocked, tt.query, tt.clocked)
		}
	}
}

func TestBind(t *testing.T) {
	late := time.Date(2026, 1, 2, 23, 59, 55, 0, time.UTC)
	tests := []struct {
		typ     string
		in, out any
	}{
		{"BOOL", int64(1), true},
		{"BOOL", int64(0), false},
		{"DATE", late, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"TIMESTAMP", late, late},
		{"NUMERIC", "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"},
		{"UUID", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"INT8", nil, nil},
	}
	for _, tt := range tests {
		got, err := Dialect{}.Bind(datasync.Column{Name: "c", DatabaseType: tt.typ}, tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.out) {
			t.Errorf("Bind(%s, %#v) = %#v, %v; want %#v", tt.typ, tt.in, got, err, tt.out)
		}
	}
	if _, err := (Dialect{}).Bind(datasync.Column{Name: "c", DatabaseType: "BOOL"}, "yes"); err == nil {
		t.Error("Bind(BOOL, string) gave no error")
	}
}
