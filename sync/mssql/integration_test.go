package mssql

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// These tests need a SQL Server or Babelfish (synctest.SQLServer): each
// makes a database of its own there.

func serverDSN(t *testing.T) string {
	t.Helper()
	return synctest.SQLServer(t)
}

// newTable creates a uniquely named table from columns (DDL) and drops it
// when the test ends.
func newTable(t *testing.T, db *sql.DB, columns string) string {
	t.Helper()
	name := synctest.UniqueName("syncd_t_")
	synctest.Exec(t, db, "CREATE TABLE dbo."+name+" ("+columns+")")
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE dbo." + name) })
	return name
}

func openServer(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dsn := serverDSN(t)
	db, err := OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// readAll reads t from the start in pages of limit rows up to the source's
// own upper bound, as a run does.
func readAll(t *testing.T, src *datasync.SQLSource, tbl tables.Table, limit int) []datasync.Row {
	t.Helper()
	ctx := context.Background()
	hi, err := src.UpperBound(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := datasync.NewMapping(tbl, src.Columns())
	if err != nil {
		t.Fatal(err)
	}
	var all []datasync.Row
	pos := datasync.Position{}
	for {
		page, err := src.ReadPage(ctx, pos, hi, limit)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		next := m.PositionOf(page[len(page)-1])
		if reflect.DeepEqual(next, pos) {
			t.Fatalf("the page after %v starts at %v again: paging does not advance", pos, next)
		}
		pos = next
	}
}

const everyType = `id INT NOT NULL PRIMARY KEY, g UNIQUEIDENTIFIER, d DECIMAL(38,10), m MONEY,
	sm SMALLMONEY, b BIT, ti TINYINT, si SMALLINT, bi BIGINT, r REAL, f FLOAT,
	dt DATETIME NOT NULL, dt2 DATETIME2(7), sdt SMALLDATETIME, dd DATE, tm TIME(7),
	dto DATETIMEOFFSET(7), vc VARCHAR(50), nvc NVARCHAR(50), ch CHAR(3), nch NCHAR(3),
	tx TEXT, ntx NTEXT, x XML, bin BINARY(4), vb VARBINARY(10), img IMAGE, rv ROWVERSION,
	n NUMERIC(5,2), i INT, vcm VARCHAR(MAX), nvm NVARCHAR(MAX), vbm VARBINARY(MAX)`

const everyColumn = "id, g, d, m, sm, b, ti, si, bi, r, f, dt, dt2, sdt, dd, tm, dto, vc, nvc, ch, nch, tx, ntx, x, bin, vb, img, n, i, vcm, nvm, vbm"

// Row 1: ordinary values, 4-byte and CJK characters, the 7th fractional
// digit; row 3: the other ends of the ranges.
const everyValue = `1, '6F9619FF-8B86-D011-B42D-00C04FC964FF', 1234567890123456789012345678.1234567890, -0.01,
	-214748.3648, 1, 255, -32768, 9223372036854775807, 1.5, 0.1,
	'2024-01-02T03:04:05.007', '2024-02-29T23:59:59.9999999', '2079-06-06T23:59:00', '9999-12-31', '15:04:05.1234567',
	'2024-01-02T08:00:00.1234567+08:00', 'abc', N'𝄞😀供应商', 'ab', N'xy',
	'text', N'ntext😀', N'<a>😀</a>', 0x01020304, 0x00FF, 0xABCD, 999.99, 2147483647,
	REPLICATE(CAST('v' AS VARCHAR(MAX)), 9000), REPLICATE(CAST(N'华😀' AS NVARCHAR(MAX)), 3000),
	CAST(REPLICATE(CAST('b' AS VARCHAR(MAX)), 9000) AS VARBINARY(MAX))`

const extremeValue = `3, '00000000-0000-0000-0000-000000000000', -9999999999999999999999999999.9999999999,
	-922337203685477.5808, 214748.3647, 0, 0, 32767, -9223372036854775808, -3.4e38, -1.79e308,
	'1753-01-01T00:00:00', '0001-01-01T00:00:00', '1900-01-01T00:00:00', '0001-01-01', '00:00:00',
	'0001-01-01T00:00:00+00:00', '', N'', '   ', N'   ', '', N'', N'<a/>', 0x00000000, 0x, 0x00,
	-999.99, -2147483648, '', N'', 0x`

func TestServerEveryType(t *testing.T) {
	dsn, db := openServer(t)
	name := newTable(t, db, everyType)
	synctest.Exec(t, db, "INSERT INTO dbo."+name+" ("+everyColumn+") VALUES ("+everyValue+")",
		"INSERT INTO dbo."+name+" (id, dt) VALUES (2, '2024-01-02T03:04:05.007')",
		"INSERT INTO dbo."+name+" ("+everyColumn+") VALUES ("+extremeValue+")")
	tbl := tables.Table{Name: name, Source: tables.Source{Table: "dbo." + name, Key: []string{"id"}, Cursor: "dt"}}
	src, err := OpenSource(context.Background(), dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rows := readAll(t, src, tbl, 10)
	if len(rows) != 3 {
		t.Fatalf("read %d rows, want 3", len(rows))
	}
	byID := map[int64]map[string]any{}
	for _, r := range rows {
		m := byName(src.Columns(), r)
		byID[m["id"].(int64)] = m
	}
	t.Run("values", func(t *testing.T) { assertAll(t, byID[1], everyWant) })
	t.Run("extremes", func(t *testing.T) { assertAll(t, byID[3], extremeWant) })
	t.Run("NULLs", func(t *testing.T) {
		for col, v := range byID[2] {
			if v != nil && col != "id" && col != "dt" && col != "rv" {
				t.Errorf("row 2: %s = %#v, want nil", col, v)
			}
		}
	})
	for _, r := range []map[string]any{byID[1], byID[2], byID[3]} {
		if _, ok := r["rv"].(uint64); !ok {
			t.Errorf("rv = %T, want uint64 (a rowversion)", r["rv"])
		}
	}
	// Each server is held to its own precision: SQL Server keeps 100 ns,
	// Babelfish keeps 6 fractional digits and rounds the 7th.
	if synctest.IsBabelfish(t, db) {
		t.Run("Babelfish rounds the 7th digit", func(t *testing.T) {
			assertAll(t, byID[1], map[string]any{"tm": "15:04:05.123457",
				"dt2": time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
				"dto": time.Date(2024, 1, 2, 0, 0, 0, 123457000, time.UTC)})
		})
		return
	}
	t.Run("SQL Server: 100 ns in datetime2(7), time(7), datetimeoffset(7)", func(t *testing.T) {
		assertAll(t, byID[1], map[string]any{"tm": "15:04:05.1234567",
			"dt2": time.Date(2024, 2, 29, 23, 59, 59, 999999900, time.UTC),
			"dto": time.Date(2024, 1, 2, 0, 0, 0, 123456700, time.UTC)})
	})
}

var everyWant = map[string]any{
	"id": int64(1), "g": guidText, "d": "1234567890123456789012345678.1234567890", "m": "-0.0100",
	"sm": "-214748.3648", "b": int64(1), "ti": int64(255), "si": int64(-32768), "bi": int64(9223372036854775807),
	"r": 1.5, "f": 0.1,
	"dt":  time.Date(2024, 1, 2, 3, 4, 5, 7e6, time.UTC),
	"sdt": time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC),
	"dd":  time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	"vc":  "abc", "nvc": "𝄞😀供应商", "ch": "ab ", "nch": "xy ", "tx": "text", "ntx": "ntext😀", "x": "<a>😀</a>",
	"bin": []byte{1, 2, 3, 4}, "vb": []byte{0, 0xFF}, "img": []byte{0xAB, 0xCD}, "n": "999.99", "i": int64(2147483647),
	"vcm": strings.Repeat("v", 9000), "nvm": strings.Repeat("华😀", 3000), "vbm": []byte(strings.Repeat("b", 9000)),
}

var extremeWant = map[string]any{
	"id": int64(3), "g": "00000000-0000-0000-0000-000000000000", "d": "-9999999999999999999999999999.9999999999",
	"m": "-922337203685477.5808", "sm": "214748.3647", "b": int64(0), "ti": int64(0), "si": int64(32767),
	"bi": int64(-9223372036854775808), "r": -3.4e38, "f": -1.79e308, // r: its float32 as shortest text
	"dt":  time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC),
	"dt2": time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	"sdt": time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
	"dd":  time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "tm": "00:00:00",
	"dto": time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	"vc":  "", "nvc": "", "ch": "   ", "nch": "   ", "tx": "", "ntx": "", "x": "<a/>",
	"bin": []byte{0, 0, 0, 0}, "vb": []byte{}, "img": []byte{0}, "n": "-999.99", "i": int64(-2147483648),
	"vcm": "", "nvm": "", "vbm": []byte{},
}

// assertAll checks each column of want in a subtest of its own.
func assertAll(t *testing.T, got, want map[string]any) {
	t.Helper()
	for col, w := range want {
		t.Run(col, func(t *testing.T) { assertPortable(t, got[col], w) })
	}
}

func byName(cols []datasync.Column, r datasync.Row) map[string]any {
	out := make(map[string]any, len(cols))
	for i, c := range cols {
		out[c.Name] = r[i]
	}
	return out
}

// Rows sharing one datetime value across page boundaries are each read
// once, in (cursor, key) order.
func TestServerTiesAcrossPages(t *testing.T) {
	dsn, db := openServer(t)
	name := newTable(t, db, "id INT NOT NULL PRIMARY KEY, k NVARCHAR(10) NOT NULL, at DATETIME NOT NULL")
	ins := "INSERT INTO dbo." + name + " (id, k, at) VALUES (@p1, @p2, @p3)"
	same := time.Date(2024, 5, 1, 12, 0, 0, 3e6, time.UTC) // tick 1: .003
	var want []int64
	for id := int64(1); id <= 11; id++ {
		at := same
		if id > 9 {
			at = same.Add(time.Second)
		}
		if _, err := db.Exec(ins, id, "k", toDateTime1Param(t, at)); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	tbl := tables.Table{Name: name, Source: tables.Source{Table: "dbo." + name, Key: []string{"id"}, Cursor: "at"}}
	src, err := OpenSource(context.Background(), dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var got []int64
	for _, r := range readAll(t, src, tbl, 4) {
		got = append(got, r[0].(int64))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read ids %v, want %v", got, want)
	}
}

func toDateTime1Param(t *testing.T, at time.Time) any {
	t.Helper()
	p, err := Dialect{}.Bind(datasync.Column{Name: "at", DatabaseType: "DATETIME"}, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A rowversion cursor is recognised, bounded by MIN_ACTIVE_ROWVERSION and
// read as uint64; a GUID key pages in SQL Server's own order.
func TestServerRowversionCursorAndGUIDKey(t *testing.T) {
	dsn, db := openServer(t)
	name := newTable(t, db, "id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY DEFAULT NEWID(), n INT NOT NULL, rv ROWVERSION")
	for i := 0; i < 7; i++ {
		synctest.Exec(t, db, "INSERT INTO dbo."+name+" (n) VALUES (1)")
	}
	tbl := tables.Table{Name: name, Source: tables.Source{Query: "SELECT id, n, rv FROM dbo." + name, Key: []string{"id"}, Cursor: "rv"}}
	src, err := OpenSource(context.Background(), dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if typ := src.Columns()[2].DatabaseType; typ != "ROWVERSION" {
		t.Fatalf("rv is %s, want ROWVERSION", typ)
	}
	rows := readAll(t, src, tbl, 3)
	if len(rows) != 7 {
		t.Fatalf("read %d rows, want 7", len(rows))
	}
	seen := map[string]bool{}
	var last uint64
	for _, r := range rows {
		rv := r[2].(uint64)
		if rv <= last || seen[r[0].(string)] {
			t.Errorf("row %v out of order or repeated", r)
		}
		last, seen[r[0].(string)] = rv, true
	}
}

func TestServerDescribe(t *testing.T) {
	dsn, db := openServer(t)
	name := newTable(t, db, "id INT NOT NULL PRIMARY KEY, at DATETIME2 NOT NULL, note NVARCHAR(10) NULL, rv ROWVERSION")
	synctest.Exec(t, db, "CREATE INDEX ix_"+name+" ON dbo."+name+" (at, id) INCLUDE (note)")
	// A one-part name: Describe takes it to be in dbo (the test login's
	// default schema too).
	tbl := tables.Table{Name: name, Source: tables.Source{Table: name, Key: []string{"id"}, Cursor: "at"}}
	src, err := OpenSource(context.Background(), dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	info, err := src.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	scale := int64(7)
	if synctest.IsBabelfish(t, db) {
		scale = 6 // Babelfish's datetime2 keeps microseconds (docs/sqlserver.md)
	}
	wantCols := []datasync.ColumnInfo{{Name: "id", Type: "INT"}, {Name: "at", Type: "DATETIME2", Scale: scale},
		{Name: "note", Type: "NVARCHAR", Nullable: true, Length: 10}, {Name: "rv", Type: "ROWVERSION"}}
	if len(info.Columns) == 4 { // a rowversion's length is not ours to pin
		info.Columns[3].Length = 0
	}
	if !reflect.DeepEqual(info.Columns, wantCols) {
		t.Errorf("columns %+v, want %+v", info.Columns, wantCols)
	}
	var found bool
	for _, ix := range info.Indexes {
		// Babelfish adds a hash of the table's name to an index's.
		found = found || (strings.HasPrefix(ix.Name, "ix_"+name) && reflect.DeepEqual(ix.Columns, []string{"at", "id"}) && !ix.Unique)
	}
	if len(info.Indexes) != 2 || !found || !info.Indexes[0].Primary {
		t.Errorf("indexes %+v: want the primary key, then ix_%s on (at, id) without its included column", info.Indexes, name)
	}
	if p := datasync.CheckSource(tbl, info, func(string, []string) string { return "" }); len(p) != 0 {
		t.Errorf("check found %v", p)
	}
}
