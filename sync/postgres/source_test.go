package postgres

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// shanghai is the session zone of the tests: eight hours from UTC all
// year, so a value that slipped through the wrong zone shows.
const shanghai = "Asia/Shanghai"

// server returns a fresh database's DSN with the session zone set to
// shanghai, and a pool on it for setting up.
func server(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dsn := synctest.Postgres(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "timezone=" + strings.ReplaceAll(shanghai, "/", "%2F")
	return dsn, synctest.Open(t, "pgx", dsn)
}

func table(name, key, cursor string) tables.Table {
	return tables.Table{Name: name, Source: tables.Source{Table: name, Key: strings.Split(key, ","), Cursor: cursor}}
}

func TestReadPageTypes(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE every_type (
		id int8 PRIMARY KEY, i2 int2, i4 int4, i8 int8, n numeric(38,10), f4 float4, f8 float8,
		tx text, vc varchar(20), ch char(4), b bool NOT NULL, by bytea, u uuid,
		ts timestamp(6) NOT NULL, tz timestamptz(6), d date, tm time(6), j json, jb jsonb)`,
		`INSERT INTO every_type VALUES (1, -32768, 2147483647, 9223372036854775807,
		1234567890123456789012345678.0123456789, 0.1, 0.1, '𝄞😀供应商', 'ab', 'ab', true, '\x00ff',
		'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2026-01-02 03:04:05.123456',
		'2026-01-02 03:04:05.123456+05', '2026-01-02', '13:14:15.5', '{"a": 1}', '{"b": [1, 2]}')`,
		`INSERT INTO every_type (id, n, b, ts) VALUES (2, -0.0000000001, false, '2026-01-02 03:04:05.123457')`)
	src := open(t, dsn, table("every_type", "id", "ts"))

	page, err := src.ReadPage(context.Background(), datasync.Position{}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, page, []datasync.Row{
		{int64(1), int64(-32768), int64(2147483647), int64(math.MaxInt64),
			"1234567890123456789012345678.0123456789", 0.1, 0.1, "𝄞😀供应商", "ab", "ab  ", int64(1),
			[]byte{0, 0xff}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
			time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),  // wall clock as stored
			time.Date(2026, 1, 1, 22, 4, 5, 123456000, time.UTC), // the instant
			time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "13:14:15.5", `{"a": 1}`, `{"b": [1, 2]}`},
		{int64(2), nil, nil, nil, "-0.0000000001", nil, nil, nil, nil, nil, int64(0), nil, nil,
			time.Date(2026, 1, 2, 3, 4, 5, 123457000, time.UTC), nil, nil, nil, nil, nil},
	})
}

func TestUpperBound(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE clocks (id int8 PRIMARY KEY, ts timestamp(6) NOT NULL,
		tz timestamptz NOT NULL, d date NOT NULL, n int8 NOT NULL)`,
		`INSERT INTO clocks VALUES (1, '2026-01-02', '2026-01-02', '2026-01-02', 40), (2, '2026-01-02', '2026-01-02', '2026-01-02', 42)`,
		`CREATE TABLE empty (id int8 PRIMARY KEY, n int8 NOT NULL)`)
	zone, err := time.LoadLocation(shanghai)
	if err != nil {
		t.Fatal(err)
	}
	const settle = 5 * time.Second
	wall := func(at time.Time, loc *time.Location) time.Time { // at's wall clock in loc, as UTC
		w := at.In(loc)
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	}
	tests := []struct {
		cursor, clock string
		want          func(now time.Time) time.Time
	}{
		{"ts", tables.ClockLocal, func(now time.Time) time.Time { return wall(now, zone).Add(-settle) }},
		{"ts", tables.ClockUTC, func(now time.Time) time.Time { return now.UTC().Add(-settle) }},
		{"tz", tables.ClockLocal, func(now time.Time) time.Time { return now.UTC().Add(-settle) }},
		{"d", tables.ClockLocal, func(now time.Time) time.Time { return wall(now, zone).Add(-24*time.Hour - settle) }},
	}
	for _, tt := range tests {
		tbl := table("clocks", "id", tt.cursor)
		tbl.Source.CursorClock = tt.clock
		before := serverNow(t, db)
		got, err := open(t, dsn, tbl).UpperBound(context.Background(), settle)
		after := serverNow(t, db)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got.(time.Time)
		if !ok || g.Location() != time.UTC || g.Before(tt.want(before)) || g.After(tt.want(after)) {
			t.Errorf("%s/%s: upper bound %#v, want between %v and %v", tt.cursor, tt.clock, got, tt.want(before), tt.want(after))
		}
	}
	if got, err := open(t, dsn, table("clocks", "id", "n")).UpperBound(context.Background(), settle); err != nil || got != int64(42) {
		t.Errorf("integer cursor: upper bound %#v, %v; want the largest value, 42", got, err)
	}
	if got, err := open(t, dsn, table("empty", "id", "n")).UpperBound(context.Background(), settle); err != nil || got != nil {
		t.Errorf("empty table: upper bound %#v, %v; want nil", got, err)
	}
}

// serverNow reads the server's clock.
func serverNow(t *testing.T, db *sql.DB) time.Time {
	t.Helper()
	var now time.Time
	if err := db.QueryRow("SELECT clock_timestamp()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// TestTiesAcrossPages: 25 rows share one cursor value and span four pages
// of 7; every row comes exactly once, in (cursor, key) order, and rows
// above the upper bound wait.
func TestTiesAcrossPages(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE items (ts timestamp(6) NOT NULL, a int4 NOT NULL, b text NOT NULL,
		PRIMARY KEY (a, b))`, `CREATE INDEX items_ts ON items (ts, a, b)`,
		`INSERT INTO items SELECT '2026-01-02 03:04:05.123456', a, 'b' || b FROM generate_series(1, 5) a, generate_series(1, 5) b`,
		`INSERT INTO items SELECT '2026-01-02 03:04:05.123455', 6, 'b' || b FROM generate_series(1, 3) b`,
		`INSERT INTO items SELECT '2026-01-02 03:04:05.123457', 0, 'b' || b FROM generate_series(1, 3) b`,
		`INSERT INTO items SELECT LOCALTIMESTAMP + INTERVAL '1 hour', 9, 'b' || b FROM generate_series(1, 3) b`)
	tbl := table("items", "a,b", "ts")
	src := open(t, dsn, tbl)
	hi, err := src.UpperBound(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for b := 1; b <= 3; b++ {
		want = append(want, "6/b"+string(rune('0'+b)))
	}
	for a := 1; a <= 5; a++ {
		for b := 1; b <= 5; b++ {
			want = append(want, string(rune('0'+a))+"/b"+string(rune('0'+b)))
		}
	}
	for b := 1; b <= 3; b++ {
		want = append(want, "0/b"+string(rune('0'+b)))
	}
	var got []string
	for _, r := range walk(t, src, tbl, hi, 7) {
		got = append(got, string(rune('0'+r[1].(int64)))+"/"+r[2].(string))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows in order:\n got %v\nwant %v", got, want)
	}
}

// TestDecimalKey: keys that differ beyond float64's precision page apart,
// so numeric parameters are compared as numeric.
func TestDecimalKey(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE dk (k numeric(38,0) PRIMARY KEY, ts timestamp NOT NULL)`,
		`INSERT INTO dk SELECT 10000000000000000000000000000000000000 + i, '2026-01-02' FROM generate_series(1, 3) i`)
	tbl := table("dk", "k", "ts")
	got := ids(walk(t, open(t, dsn, tbl), tbl, nil, 1))
	want := []any{"10000000000000000000000000000000000001", "10000000000000000000000000000000000002", "10000000000000000000000000000000000003"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestWhere(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE w (id int8 PRIMARY KEY, ts timestamp NOT NULL, status text NOT NULL)`,
		`INSERT INTO w SELECT i, '2026-01-02', CASE WHEN i % 3 = 0 THEN 'draft' ELSE 'done' END FROM generate_series(1, 10) i`)
	tbl := table("w", "id", "ts")
	tbl.Source.Where = "status = 'done'"
	got := ids(walk(t, open(t, dsn, tbl), tbl, nil, 3))
	want := []any{int64(1), int64(2), int64(4), int64(5), int64(7), int64(8), int64(10)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestQuerySource(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE customers (id int8 PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE orders (id int8 PRIMARY KEY, customer_id int8 NOT NULL, changed timestamp(6) NOT NULL, amount numeric(12,2))`,
		`INSERT INTO customers VALUES (1, '供应商甲'), (2, 'Zoë')`,
		`INSERT INTO orders VALUES (10, 2, '2026-01-02 00:00:01', 9.99), (11, 1, '2026-01-02 00:00:01', NULL), (12, 1, '2026-01-02 00:00:00', 0.10)`)
	tbl := tables.Table{Name: "order_lines", Source: tables.Source{
		Query: "SELECT o.id, o.changed, c.name AS customer, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id",
		Key:   []string{"id"}, Cursor: "changed"}}
	src := open(t, dsn, tbl)
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 0, 0, s, 0, time.UTC) }
	sameRows(t, walk(t, src, tbl, at(1), 2), []datasync.Row{
		{int64(12), at(0), "供应商甲", "0.10"},
		{int64(10), at(1), "Zoë", "9.99"},
		{int64(11), at(1), "供应商甲", nil},
	})
	if _, err := src.Describe(context.Background()); !errors.Is(err, datasync.ErrNoCatalog) {
		t.Errorf("Describe of a query source: %v, want ErrNoCatalog", err)
	}
}

// TestOddNames: reserved words, non-ASCII and a quote in names, for the
// table and for the key and cursor the keyset compares.
func TestOddNames(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE "供应商" ("key" int8 PRIMARY KEY, "order" timestamp(6) NOT NULL, "供应商名称" text, "we""ird" int4)`,
		`INSERT INTO "供应商" VALUES (1, '2026-01-02', '甲', 7), (2, '2026-01-02', '乙', NULL), (3, '2026-01-02', '𝄞😀', 9)`)
	tbl := tables.Table{Name: "supplier", Source: tables.Source{Table: "供应商", Key: []string{"key"}, Cursor: "order"},
		Target: tables.Target{Columns: map[string]string{"id": "key", "changed": "order", "name": "供应商名称", "weird": `we"ird`}}}
	src := open(t, dsn, tbl)
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	// Mapped columns come in target-column order: changed, id, name, weird.
	sameRows(t, walk(t, src, tbl, nil, 2), []datasync.Row{
		{at, int64(1), "甲", int64(7)},
		{at, int64(2), "乙", nil},
		{at, int64(3), "𝄞😀", int64(9)},
	})
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	dsn, db := server(t)
	synctest.Exec(t, db, `CREATE TABLE d (id int8 PRIMARY KEY, code text NOT NULL UNIQUE, ts timestamp(6) NOT NULL,
		note varchar(10), amount numeric(12,2))`,
		`CREATE INDEX d_ts_id ON d (ts, id) INCLUDE (note)`,
		`CREATE INDEX d_partial ON d (ts) WHERE note IS NULL`,
		`CREATE INDEX d_expr ON d (lower(code))`,
		`CREATE SCHEMA other`, `CREATE TABLE other.d (x int4 PRIMARY KEY)`)
	info, err := open(t, dsn, table("d", "id", "ts")).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := datasync.TableInfo{
		Columns: []datasync.ColumnInfo{
			{Name: "id", Type: "bigint"}, {Name: "code", Type: "text"}, {Name: "ts", Type: "timestamp without time zone", Scale: 6},
			{Name: "note", Type: "character varying", Nullable: true, Length: 10},
			{Name: "amount", Type: "numeric", Nullable: true, Precision: 12, Scale: 2},
		},
		Indexes: []datasync.Index{
			{Name: "d_code_key", Unique: true, Columns: []string{"code"}},
			{Name: "d_pkey", Primary: true, Unique: true, Columns: []string{"id"}},
			{Name: "d_ts_id", Columns: []string{"ts", "id"}},
		},
	}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("Describe:\n got %+v\nwant %+v", info, want)
	}
	other, err := Dialect{}.Describe(context.Background(), db, tables.Ident{Parts: []string{"other", "d"}})
	if err != nil || len(other.Columns) != 1 || other.Columns[0].Name != "x" {
		t.Errorf("Describe other.d: %+v, %v", other, err)
	}
	none, err := Dialect{}.Describe(context.Background(), db, tables.Ident{Parts: []string{"nope"}})
	if err != nil || len(none.Columns)+len(none.Indexes) != 0 {
		t.Errorf("Describe of a missing table: %+v, %v; want nothing, no error", none, err)
	}
}

// The server quotes the role back, which is the password here too: the
// error must hide it, though the driver's error holds it.
func TestOpenSourceHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := OpenSource(context.Background(), "postgres://s3cr3t-pw:s3cr3t-pw@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=5", table("x", "id", "ts"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "s3cr3t-pw") || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error %v: want the role refused, without the password the server quoted", err)
	}

	// After the login (trust: any password goes): a missing table named
	// like the password stands for any later error that quotes it.
	dsn, _ := server(t)
	const pw = "pw_missing_table"
	tbl := table(pw, "id", "ts")
	tbl.Name = "items"
	_, err = OpenSource(context.Background(), strings.Replace(dsn, "postgres@", "postgres:"+pw+"@", 1), tbl)
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), pw) || strings.Contains(err.Error(), pw) {
		t.Errorf("error %v: want the missing table, without the password it is named like", err)
	}
}
