package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

func TestSourceReadPageTypes(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	synctest.Exec(t, db, "CREATE TABLE every_type (id BIGINT PRIMARY KEY, ti TINYINT, b1 TINYINT(1), si SMALLINT UNSIGNED,"+
		" i INT, ui INT UNSIGNED, bi BIGINT, ubi BIGINT UNSIGNED, d DECIMAL(38,10), f FLOAT, db DOUBLE, bit1 BIT(1), bit9 BIT(9),"+
		" c CHAR(4), vc VARCHAR(20), tx TEXT, e ENUM('a','b'), j JSON, bn BINARY(3), vb VARBINARY(5), bl BLOB,"+
		" dt DATE, dtt DATETIME(6) NOT NULL, ts TIMESTAMP(6) NULL, tm TIME(3), y YEAR, u UUID)",
		// A TIMESTAMP is an instant: written at +05:00, it reads as UTC.
		"SET time_zone = '+05:00'; INSERT INTO every_type VALUES (1, -128, 1, 65535, -2147483648, 4294967295,"+
			" -9223372036854775808, 18446744073709551615, 1234567890123456789012345678.0123456789, 0.1, 0.1, b'1', b'100000001',"+
			" 'ab', '𝄞😀供应商', 'long text', 'b', '{\"a\": 1}', 'ab', x'00ff', x'0102',"+
			" '2026-01-02', '2026-01-02 03:04:05.123456', '2026-01-02 08:04:05.123456', '-838:59:59.5', 2026,"+
			" 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')",
		"INSERT INTO every_type (id, ubi, d, dtt) VALUES (2, 7, -0.0000000001, '2026-01-02 03:04:05.123457')")
	src := srcOpen(t, dsn, srcTable("every_type", "id", "dtt"))

	page, err := src.ReadPage(context.Background(), datasync.Position{}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	srcSameRows(t, page, []datasync.Row{
		{int64(1), int64(-128), int64(1), int64(65535), int64(math.MinInt32), int64(math.MaxUint32), int64(math.MinInt64),
			uint64(math.MaxUint64), "1234567890123456789012345678.0123456789", 0.1, 0.1, int64(1), int64(257),
			"ab", "𝄞😀供应商", "long text", "b", `{"a": 1}`, []byte("ab\x00"), []byte{0, 0xff}, []byte{1, 2},
			time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), at, at, "-838:59:59.500", int64(2026),
			"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{int64(2), nil, nil, nil, nil, nil, nil, uint64(7), "-0.0000000001", nil, nil, nil, nil,
			nil, nil, nil, nil, nil, nil, nil, nil, nil, at.Add(time.Microsecond), nil, nil, nil, nil},
	})
}

func TestSourceUpperBound(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	synctest.Exec(t, db, "CREATE TABLE clocks (id BIGINT PRIMARY KEY, dtt DATETIME(6) NOT NULL, ts TIMESTAMP(6) NOT NULL,"+
		" d DATE NOT NULL, n BIGINT NOT NULL, u BIGINT UNSIGNED NOT NULL)",
		"INSERT INTO clocks VALUES (1, '2026-01-02', '2026-01-02', '2026-01-02', 40, 1), (2, '2026-01-02', '2026-01-02', '2026-01-02', 42, 18446744073709551615)",
		"CREATE TABLE empty (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
	const settle = 5 * time.Second
	tests := []struct {
		cursor, clock, serverClock string
		back                       time.Duration
	}{
		{"dtt", tables.ClockLocal, serverWallClock, settle},
		{"dtt", tables.ClockUTC, "UTC_TIMESTAMP(6)", settle},
		{"ts", tables.ClockLocal, "UTC_TIMESTAMP(6)", settle},
		{"d", tables.ClockLocal, serverWallClock, 24*time.Hour + settle},
	}
	for _, tt := range tests {
		tbl := srcTable("clocks", "id", tt.cursor)
		tbl.Source.CursorClock = tt.clock
		before := srcClock(t, db, tt.serverClock).Add(-tt.back)
		got, err := srcOpen(t, dsn, tbl).UpperBound(context.Background(), settle)
		after := srcClock(t, db, tt.serverClock).Add(-tt.back)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got.(time.Time)
		if !ok || g.Location() != time.UTC || g.Before(before) || g.After(after) {
			t.Errorf("%s/%s: upper bound %#v, want between %v and %v", tt.cursor, tt.clock, got, before, after)
		}
	}
	for cursor, want := range map[string]any{"n": int64(42), "u": uint64(math.MaxUint64)} {
		got, err := srcOpen(t, dsn, srcTable("clocks", "id", cursor)).UpperBound(context.Background(), settle)
		if err != nil || got != want {
			t.Errorf("cursor %s: upper bound %#v, %v; want the largest value, %#v", cursor, got, err, want)
		}
	}
	if got, err := srcOpen(t, dsn, srcTable("empty", "id", "n")).UpperBound(context.Background(), settle); err != nil || got != nil {
		t.Errorf("empty table: upper bound %#v, %v; want nil", got, err)
	}
}

// srcClock reads one of the server's clocks.
func srcClock(t *testing.T, db *sql.DB, expr string) time.Time {
	t.Helper()
	var now time.Time
	if err := db.QueryRow("SELECT " + expr).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// TestSourceTiesAcrossPages: 25 rows share one cursor value and span four
// pages of 7; every row comes exactly once, in (cursor, key) order, and
// rows above the upper bound wait.
func TestSourceTiesAcrossPages(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	var values, want []string
	add := func(ts string, a, b int, expected bool) {
		values = append(values, fmt.Sprintf("('%s', %d, 'b%d')", ts, a, b))
		if expected {
			want = append(want, fmt.Sprintf("%d/b%d", a, b))
		}
	}
	for b := 1; b <= 3; b++ {
		add("2026-01-02 03:04:05.123455", 6, b, true)
	}
	for a := 1; a <= 5; a++ {
		for b := 1; b <= 5; b++ {
			add("2026-01-02 03:04:05.123456", a, b, true)
		}
	}
	for b := 1; b <= 3; b++ {
		add("2026-01-02 03:04:05.123457", 0, b, true)
		add("2999-01-01 00:00:00", 9, b, false)
	}
	synctest.Exec(t, db, "CREATE TABLE items (ts DATETIME(6) NOT NULL, a INT NOT NULL, b VARCHAR(10) NOT NULL,"+
		" PRIMARY KEY (a, b), KEY items_ts (ts, a, b))",
		"INSERT INTO items VALUES "+strings.Join(values, ", "))
	tbl := srcTable("items", "a,b", "ts")
	src := srcOpen(t, dsn, tbl)
	hi, err := src.UpperBound(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range srcWalk(t, src, tbl, hi, 7) {
		got = append(got, fmt.Sprintf("%d/%s", r[1], r[2]))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows in order:\n got %v\nwant %v", got, want)
	}
}

// TestSourceWideKeys: keys that differ beyond float64's precision, and
// unsigned keys on both sides of MaxInt64 (which the driver hands over as
// int64 below it and as digits above), page apart one row at a time.
func TestSourceWideKeys(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	synctest.Exec(t, db, "CREATE TABLE dk (k DECIMAL(38,0) PRIMARY KEY, ts DATETIME NOT NULL)",
		"INSERT INTO dk VALUES (10000000000000000000000000000000000001, '2026-01-02'),"+
			" (10000000000000000000000000000000000002, '2026-01-02'), (10000000000000000000000000000000000003, '2026-01-02')",
		"CREATE TABLE uk (k BIGINT UNSIGNED PRIMARY KEY, ts DATETIME NOT NULL)",
		"INSERT INTO uk VALUES (1, '2026-01-02'), (9223372036854775807, '2026-01-02'),"+
			" (9223372036854775808, '2026-01-02'), (18446744073709551615, '2026-01-02')")
	dk := srcTable("dk", "k", "ts")
	got := srcFirsts(srcWalk(t, srcOpen(t, dsn, dk), dk, nil, 1))
	want := []any{"10000000000000000000000000000000000001", "10000000000000000000000000000000000002", "10000000000000000000000000000000000003"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decimal keys: got %v, want %v", got, want)
	}
	uk := srcTable("uk", "k", "ts")
	got = srcFirsts(srcWalk(t, srcOpen(t, dsn, uk), uk, nil, 1))
	want = []any{uint64(1), uint64(math.MaxInt64), uint64(math.MaxInt64 + 1), uint64(math.MaxUint64)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unsigned keys: got %v, want %v", got, want)
	}
}

func TestSourceWhere(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	var values []string
	for i := 1; i <= 10; i++ {
		status := "done"
		if i%3 == 0 {
			status = "draft"
		}
		values = append(values, fmt.Sprintf("(%d, '2026-01-02', '%s')", i, status))
	}
	synctest.Exec(t, db, "CREATE TABLE w (id BIGINT PRIMARY KEY, ts DATETIME NOT NULL, status VARCHAR(10) NOT NULL)",
		"INSERT INTO w VALUES "+strings.Join(values, ", "))
	tbl := srcTable("w", "id", "ts")
	tbl.Source.Where = "status = 'done'"
	got := srcFirsts(srcWalk(t, srcOpen(t, dsn, tbl), tbl, nil, 3))
	want := []any{int64(1), int64(2), int64(4), int64(5), int64(7), int64(8), int64(10)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSourceQuery(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	synctest.Exec(t, db, "CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL)",
		"CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, changed DATETIME(6) NOT NULL, amount DECIMAL(12,2))",
		"INSERT INTO customers VALUES (1, '供应商甲'), (2, 'Zoë')",
		"INSERT INTO orders VALUES (10, 2, '2026-01-02 00:00:01', 9.99), (11, 1, '2026-01-02 00:00:01', NULL), (12, 1, '2026-01-02 00:00:00', 0.10)")
	tbl := tables.Table{Name: "order_lines", Source: tables.Source{
		Query: "SELECT o.id, o.changed, c.name AS customer, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id",
		Key:   []string{"id"}, Cursor: "changed"}}
	src := srcOpen(t, dsn, tbl)
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 0, 0, s, 0, time.UTC) }
	srcSameRows(t, srcWalk(t, src, tbl, at(1), 2), []datasync.Row{
		{int64(12), at(0), "供应商甲", "0.10"},
		{int64(10), at(1), "Zoë", "9.99"},
		{int64(11), at(1), "供应商甲", nil},
	})
	if _, err := src.Describe(context.Background()); !errors.Is(err, datasync.ErrNoCatalog) {
		t.Errorf("Describe of a query source: %v, want ErrNoCatalog", err)
	}
}

// TestSourceOddNames: reserved words, non-ASCII and a backtick in names,
// for the table and for the key and cursor the keyset compares.
func TestSourceOddNames(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	synctest.Exec(t, db, "CREATE TABLE `供应商` (`key` BIGINT PRIMARY KEY, `order` DATETIME(6) NOT NULL, `供应商名称` VARCHAR(20), `we``ird` INT)",
		"INSERT INTO `供应商` VALUES (1, '2026-01-02', '甲', 7), (2, '2026-01-02', '乙', NULL), (3, '2026-01-02', '𝄞😀', 9)")
	tbl := tables.Table{Name: "supplier", Source: tables.Source{Table: "供应商", Key: []string{"key"}, Cursor: "order"},
		Target: tables.Target{Columns: map[string]string{"id": "key", "changed": "order", "name": "供应商名称", "weird": "we`ird"}}}
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	// Mapped columns come in target-column order: changed, id, name, weird.
	srcSameRows(t, srcWalk(t, srcOpen(t, dsn, tbl), tbl, nil, 2), []datasync.Row{
		{at, int64(1), "甲", int64(7)},
		{at, int64(2), "乙", nil},
		{at, int64(3), "𝄞😀", int64(9)},
	})
}

func TestSourceDescribe(t *testing.T) {
	t.Parallel()
	dsn, db := srcServer(t)
	synctest.Exec(t, db, "CREATE TABLE d (id BIGINT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, ts DATETIME(6) NOT NULL,"+
		" note VARCHAR(10), amount DECIMAL(12,2), KEY d_ts_id (ts, id))")
	info, err := srcOpen(t, dsn, srcTable("d", "id", "ts")).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range info.Columns {
		cols = append(cols, fmt.Sprintf("%s %s %v", c.Name, strings.SplitN(c.Type, "(", 2)[0], c.Nullable))
	}
	wantCols := []string{"id bigint false", "code varchar false", "ts datetime false", "note varchar true", "amount decimal true"}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns: got %v, want %v", cols, wantCols)
	}
	ixs := map[string]datasync.Index{}
	for _, ix := range info.Indexes {
		ixs[ix.Name] = ix
	}
	wantIxs := map[string]datasync.Index{
		"PRIMARY": {Name: "PRIMARY", Primary: true, Unique: true, Columns: []string{"id"}},
		"code":    {Name: "code", Unique: true, Columns: []string{"code"}},
		"d_ts_id": {Name: "d_ts_id", Columns: []string{"ts", "id"}},
	}
	if !reflect.DeepEqual(ixs, wantIxs) {
		t.Errorf("indexes:\n got %+v\nwant %+v", ixs, wantIxs)
	}
}

// TestDescribeByName: a table in another database, a missing table, and a
// name MySQL cannot have.
func TestDescribeByName(t *testing.T) {
	t.Parallel()
	dsn, _ := srcServer(t)
	otherName, otherDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "mysql", otherDSN), "CREATE TABLE d (x INT PRIMARY KEY)")
	pool, err := OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	other, err := Describe(context.Background(), pool, tables.Ident{Parts: []string{otherName, "d"}})
	if err != nil || len(other.Columns) != 1 || other.Columns[0].Name != "x" {
		t.Errorf("Describe %s.d: %+v, %v", otherName, other, err)
	}
	none, err := Describe(context.Background(), pool, tables.Ident{Parts: []string{"nope"}})
	if err != nil || len(none.Columns)+len(none.Indexes) != 0 {
		t.Errorf("Describe of a missing table: %+v, %v; want nothing, no error", none, err)
	}
	if _, err := Describe(context.Background(), pool, tables.Ident{Parts: []string{"a", "b", "c"}}); err == nil {
		t.Error("Describe of a three-part name gave no error")
	}
}

// TestOpenDBSession: whatever the DSN says, sessions run at +00:00 with
// times parsed as UTC.
func TestOpenDBSession(t *testing.T) {
	t.Parallel()
	dsn, _ := srcServer(t)
	dsn = strings.Replace(dsn, "parseTime=true&loc=UTC", "parseTime=false&loc=Local&time_zone=%27%2B05%3A00%27", 1)
	db, err := OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var zone string
	var now time.Time
	if err := db.QueryRow("SELECT @@session.time_zone, NOW(6)").Scan(&zone, &now); err != nil {
		t.Fatal(err)
	}
	if zone != "+00:00" || now.Location() != time.UTC {
		t.Errorf("session zone %q, time in %v; want +00:00 and UTC", zone, now.Location())
	}
}

// The server quotes the user name back, which is the password here too:
// the error must hide it, though the driver's error holds it.
func TestOpenSourceHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := OpenSource(context.Background(), "s3cr3t-pw:s3cr3t-pw@tcp(127.0.0.1:3306)/x?timeout=5s", srcTable("x", "id", "ts"))
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || !strings.Contains(me.Error(), "s3cr3t-pw") || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error %v: want access denied, without the password the server quoted", err)
	}
	_, err = OpenDB("syncd:s3cr3t-pw@tcp(127.0.0.1:1/x")
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error %v: want an error without the password", err)
	}

	// After the login: a missing table named like the password stands for
	// any later error that quotes it.
	name, dsn := synctest.MariaDB(t)
	admin := synctest.Open(t, "mysql", dsn)
	user := synctest.UniqueName("pw_")
	synctest.Exec(t, admin, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+user+"'", "GRANT ALL ON `"+name+"`.* TO '"+user+"'@'%'")
	t.Cleanup(func() { synctest.Exec(t, admin, "DROP USER IF EXISTS '"+user+"'@'%'") })
	tbl := srcTable(user, "id", "ts")
	tbl.Name = "items"
	_, err = OpenSource(context.Background(), user+":"+user+"@tcp(127.0.0.1:3306)/"+name, tbl)
	if !errors.As(err, &me) || !strings.Contains(me.Error(), user) || strings.Contains(err.Error(), user) {
		t.Errorf("error %v: want the missing table, without the password it is named like", err)
	}
}
