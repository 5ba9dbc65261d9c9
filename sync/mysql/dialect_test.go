package mysql

import (
	"math"
	"reflect"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

func TestSourcePageQueryGolden(t *testing.T) {
	cols := []datasync.Column{
		{Name: "id", DatabaseType: "BIGINT"},
		{Name: "sub", DatabaseType: "VARCHAR"},
		{Name: "order", DatabaseType: "DATETIME"},
		{Name: "供应商名称", DatabaseType: "VARCHAR"},
		{Name: "we`ird", DatabaseType: "INT"},
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	hi := t0.Add(time.Hour)
	table := tables.Table{Name: "g", Source: tables.Source{Table: "erp.items", Key: []string{"id", "sub"}, Cursor: "order"}}
	filtered := table
	filtered.Source.Where = "sub <> 'x'"
	query := tables.Table{Name: "q", Source: tables.Source{Query: "SELECT * FROM a JOIN b USING (id)", Key: []string{"id"}, Cursor: "order"}}
	const sel = "SELECT `id`, `sub`, `order`, `供应商名称`, `we``ird` FROM "
	tests := []struct {
		name  string
		table tables.Table
		pos   datasync.Position
		sql   string
		args  []any
	}{
		{"initial load", table, datasync.Position{},
			sel + "`erp`.`items` WHERE `order` <= ? ORDER BY `order`, `id`, `sub` LIMIT ?",
			[]any{hi, int64(7)}},
		{"inclusive start", table, datasync.Position{Cursor: t0},
			sel + "`erp`.`items` WHERE `order` >= ? AND `order` <= ? ORDER BY `order`, `id`, `sub` LIMIT ?",
			[]any{t0, hi, int64(7)}},
		{"after a row", table, datasync.Position{Cursor: t0, Key: []any{int64(5), "b"}},
			sel + "`erp`.`items` WHERE `order` >= ? AND `order` <= ? AND (`order` > ? OR (`order` = ? AND (`id` > ? OR (`id` = ? AND `sub` > ?)))) ORDER BY `order`, `id`, `sub` LIMIT ?",
			[]any{t0, hi, t0, t0, int64(5), int64(5), "b", int64(7)}},
		{"where", filtered, datasync.Position{},
			sel + "`erp`.`items` WHERE `order` <= ? AND (sub <> 'x') ORDER BY `order`, `id`, `sub` LIMIT ?",
			[]any{hi, int64(7)}},
		{"query", query, datasync.Position{Cursor: t0, Key: []any{int64(5)}},
			sel + "(SELECT * FROM a JOIN b USING (id)) syncd_src WHERE `order` >= ? AND `order` <= ? AND (`order` > ? OR (`order` = ? AND `id` > ?)) ORDER BY `order`, `id` LIMIT ?",
			[]any{t0, hi, t0, t0, int64(5), int64(7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := datasync.NewSQLSourceWithColumns(nil, Dialect{}, tt.table, cols)
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

func TestSourceUpperBoundQueries(t *testing.T) {
	tests := []struct {
		typ, clock, query string
		clocked           bool
	}{
		{"DATETIME", tables.ClockLocal, "SELECT CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', @@global.time_zone)", true},
		{"DATETIME", tables.ClockUTC, "SELECT UTC_TIMESTAMP(6)", true},
		{"TIMESTAMP", tables.ClockLocal, "SELECT UTC_TIMESTAMP(6)", true},
		{"DATE", tables.ClockUTC, "SELECT UTC_TIMESTAMP(6) - INTERVAL 1 DAY", true},
		{"BIGINT", tables.ClockLocal, "", false},
		{"UNSIGNED BIGINT", "", "", false},
	}
	for _, tt := range tests {
		q, clocked := Dialect{}.UpperBoundQuery(datasync.Column{Name: "c", DatabaseType: tt.typ}, tt.clock)
		if q != tt.query || clocked != tt.clocked {
			t.Errorf("%s/%s: got %q %v, want %q %v", tt.typ, tt.clock, q, clocked, tt.query, tt.clocked)
		}
	}
}

// TestSourceConverters covers what the driver gives in the protocol the
// server tests reach less easily: digits of an UNSIGNED BIGINT above
// MaxInt64 (binary protocol), float32 (FLOAT), BIT(64).
func TestSourceConverters(t *testing.T) {
	tests := []struct {
		typ     string
		in, out any
	}{
		{"UNSIGNED BIGINT", []byte("18446744073709551615"), uint64(math.MaxUint64)},
		{"UNSIGNED BIGINT", int64(7), uint64(7)},
		{"UNSIGNED BIGINT", uint64(7), uint64(7)},
		{"FLOAT", float32(0.1), 0.1},
		{"DOUBLE", 0.1, 0.1},
		{"BIT", []byte{0x01, 0x01}, int64(257)},
		{"BIT", []byte{0xff, 0, 0, 0, 0, 0, 0, 0}, uint64(0xff00000000000000)},
		{"DECIMAL", []byte("-0.0000000001"), "-0.0000000001"},
		{"TIME", []byte("-838:59:59.500"), "-838:59:59.500"},
		{"VARBINARY", []byte{0, 0xff}, []byte{0, 0xff}},
		{"GEOMETRY", nil, nil},
	}
	for _, tt := range tests {
		conv, err := Dialect{}.Converter(datasync.Column{Name: "c", DatabaseType: tt.typ})
		if err != nil {
			t.Fatal(err)
		}
		got, err := conv(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.out) {
			t.Errorf("%s %#v: got %#v, %v; want %#v", tt.typ, tt.in, got, err, tt.out)
		}
	}
	conv, err := Dialect{}.Converter(datasync.Column{Name: "c", DatabaseType: "DATETIME"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conv([]byte("2026-01-02 03:04:05")); err == nil {
		t.Error("DATETIME as bytes (no parseTime) gave no error")
	}
}

func TestSourceBind(t *testing.T) {
	late := time.Date(2026, 1, 2, 23, 59, 55, 0, time.UTC)
	tests := []struct {
		typ     string
		in, out any
	}{
		{"DATE", late, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"DATETIME", late, late},
		{"FLOAT", 0.1, float64(float32(0.1))},
		{"DECIMAL", "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"},
		{"UNSIGNED BIGINT", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"BIGINT", nil, nil},
	}
	for _, tt := range tests {
		got, err := Dialect{}.Bind(datasync.Column{Name: "c", DatabaseType: tt.typ}, tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.out) {
			t.Errorf("Bind(%s, %#v) = %#v, %v; want %#v", tt.typ, tt.in, got, err, tt.out)
		}
	}
}
