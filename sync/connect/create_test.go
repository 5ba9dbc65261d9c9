package connect

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// pools returns Pools over a source of driver at srcDSN and the MariaDB
// target at tgtDSN, closed when the test ends.
func pools(t *testing.T, driver, srcDSN, tgtDSN string) *Pools {
	t.Helper()
	p := NewPools(&tables.Config{File: "syncd.yaml", Connections: map[string]tables.Connection{
		"src": {Driver: driver, DSN: srcDSN},
		"wms": {Driver: tables.DriverMySQL, DSN: tgtDSN},
	}})
	t.Cleanup(func() { p.Close() })
	return p
}

func createdTable(name, srcTable, key, cursor string) tables.Table {
	return tables.Table{
		Name:      name,
		Source:    tables.Source{Connection: "src", Table: srcTable, Key: []string{key}, Cursor: cursor, CursorClock: tables.ClockLocal},
		Target:    tables.Target{Connection: "wms", Table: name, Create: true, Evolve: tables.EvolveNone},
		BatchSize: 2,
	}
}

// runOnce opens t (creating its target when asked) and runs it once.
func runOnce(t *testing.T, p *Pools, tbl tables.Table) (datasync.RunRecord, error) {
	t.Helper()
	ctx := context.Background()
	job, err := Open(ctx, p, tbl)
	if err != nil {
		return datasync.RunRecord{}, err
	}
	defer job.Close()
	return job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.Nop()})
}

// readBack reads every row of t's source and of its target table, both
// through syncd's own sources, in key order.
func readBack(t *testing.T, p *Pools, tbl tables.Table) (src, tgt []datasync.Row) {
	t.Helper()
	ctx := context.Background()
	s, err := OpenSource(ctx, p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	back := tbl
	back.Source.Connection, back.Source.Table = "wms", tbl.Target.Table
	b, err := OpenSource(ctx, p, back)
	if err != nil {
		t.Fatal(err)
	}
	return readAll(t, s), readAll(t, b)
}

func readAll(t *testing.T, s *datasync.SQLSource) []datasync.Row {
	t.Helper()
	rows, err := s.ReadPage(context.Background(), datasync.Position{}, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// sameValue compares portable values; decimal texts compare as numbers,
// since DECIMAL(65,30) pads the digits of an unconstrained numeric.
func sameValue(a, b any) bool {
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			rx, okx := new(big.Rat).SetString(x)
			ry, oky := new(big.Rat).SetString(y)
			if okx && oky {
				return rx.Cmp(ry) == 0
			}
			// Times of day: MySQL's TIME(6) text always has six digits.
			return x == y || (strings.Count(x, ":") == 2 && trimFraction(x) == trimFraction(y))
		}
	}
	if x, ok := a.([]byte); ok {
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	if x, ok := a.(time.Time); ok {
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}

func trimFraction(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func sameRows(t *testing.T, cols []datasync.Column, src, tgt []datasync.Row) {
	t.Helper()
	if len(src) != len(tgt) || len(src) == 0 {
		t.Fatalf("source has %d rows, target %d", len(src), len(tgt))
	}
	for i := range src {
		for j := range src[i] {
			if !sameValue(src[i][j], tgt[i][j]) {
				t.Errorf("row %d column %s: source %#v, target %#v", i, cols[j].Name, src[i][j], tgt[i][j])
			}
		}
	}
}

// A table created from a PostgreSQL catalog holds every value the source
// has, exactly, as read back through syncd's own MySQL source.
func TestCreateRoundTripPostgres(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, code varchar(40) NOT NULL, name text,
		grade char(1), qty integer, small smallint, price numeric(12,4), any_number numeric, ratio real,
		weight double precision, active boolean NOT NULL, born date, opens time(6),
		updated_at timestamp(6) NOT NULL, seen_at timestamptz(3), guid uuid, doc jsonb, pic bytea,
		tags text[], span interval)`,
		`INSERT INTO items VALUES
		(1, 'A-1', '甲 𝄞😀', 'x', 7, -3, 12345678.1234, 1.5, 0.1, 2.5e300, true, '1999-12-31', '23:59:59.999999',
		 '2026-01-02 03:04:05.123456', '2026-01-02 03:04:05.123+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
		 '{"a": [1, 2]}', '\x00ff10', '{x,y}', '1 day 02:00:00'),
		(2, 'B-2', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL,
		 '2026-01-02 03:04:05.123456', NULL, NULL, NULL, NULL, NULL, NULL),
		(3, 'C-3', '', ' ', 0, 0, -0.0001, -123456789012345678901234567890.123456789, -1, 0, false, '0001-01-01',
		 '00:00:00', '2026-01-03 00:00:00', '1970-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000',
		 '[]', '', '{}', '00:00:00')`)
	p := pools(t, tables.DriverPostgres, pgDSN, myDSN)
	tbl := createdTable("items", "public.items", "id", "updated_at")
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Read != 3 || rec.Inserted != 3 {
		t.Fatalf("run: %+v, %v; want 3 rows inserted", rec, err)
	}
	s, tgt := readBack(t, p, tbl)
	srcSource, err := OpenSource(context.Background(), p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, srcSource.Columns(), s, tgt)
}

// The same for a MariaDB source: each column is created as the source
// declares it.
func TestCreateRoundTripMariaDB(t *testing.T) {
	_, srcDSN := synctest.MariaDB(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "mysql", srcDSN)
	synctest.Exec(t, src, "CREATE TABLE stock (id INT UNSIGNED PRIMARY KEY, sku VARCHAR(40) NOT NULL, "+
		"price DECIMAL(12,2), state ENUM('new','done'), flags BIT(3), big BIGINT UNSIGNED, ratio FLOAT, weight DOUBLE, "+
		"born DATE, opens TIME(3), note TEXT, pic BLOB, doc JSON, at TIMESTAMP(6) NULL, modified DATETIME(6) NOT NULL)",
		"INSERT INTO stock VALUES (1, 'S-1', 12.50, 'done', b'101', 18446744073709551615, 0.1, 1e300, "+
			"'2026-02-28', '12:34:56.789', '乙 😀', x'00ff', '{\"k\": 1}', '2026-01-02 03:04:05.5', '2026-03-01 08:00:00.000001')",
		"INSERT INTO stock (id, sku, modified) VALUES (2, 'S-2', '2026-03-01 08:00:00')")
	p := pools(t, tables.DriverMySQL, srcDSN, myDSN)
	tbl := createdTable("wms_stock", "stock", "id", "modified")
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 2 {
		t.Fatalf("run: %+v, %v; want 2 rows inserted", rec, err)
	}
	s, tgt := readBack(t, p, tbl)
	srcSource, err := OpenSource(context.Background(), p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, srcSource.Columns(), s, tgt)
}

// An existing target table is never changed by target.create, even when
// it differs from what create would make.
func TestCreateLeavesExistingTable(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "pgx", pgDSN),
		`CREATE TABLE items (id bigint PRIMARY KEY, name varchar(10), updated_at timestamp(6) NOT NULL)`,
		`INSERT INTO items VALUES (1, 'a', '2026-01-01')`)
	tgt := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(200) COMMENT 'mine', updated_at DATETIME(6) NOT NULL)")
	before := showCreate(t, tgt, "items")
	p := pools(t, tables.DriverPostgres, pgDSN, myDSN)
	if _, err := runOnce(t, p, createdTable("items", "items", "id", "updated_at")); err != nil {
		t.Fatal(err)
	}
	if after := showCreate(t, tgt, "items"); after != before {
		t.Errorf("target table changed:\n%s\nwas\n%s", after, before)
	}
	_, ddl, err := Plan(context.Background(), p, createdTable("items", "items", "id", "updated_at"))
	if err != nil || !bytes.Contains([]byte(ddl), []byte("`name` VARCHAR(10) NULL")) {
		t.Errorf("Plan: %v\n%s", err, ddl)
	}
}

func showCreate(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var name, ddl string
	if err := db.QueryRow(fmt.Sprintf("SHOW CREATE TABLE `%s`", table)).Scan(&name, &ddl); err != nil {
		t.Fatal(err)
	}
	return ddl
}
