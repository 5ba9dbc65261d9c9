package contract

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/tables"
)

// item is a row of the suite's usual table.
type item struct {
	id     int64
	k2     int32
	name   any // string or nil
	amount any // decimal text or nil
	ts     time.Time
}

// createItems creates the usual table on both sides, keyed by id or by
// (id, k2), with its (updated_at, key) index on the source.
func (e *env) createItems(name string, composite bool) {
	e.t.Helper()
	ty := e.f.Types
	pk, tpk := e.q("id"), "`id`"
	if composite {
		pk, tpk = e.q("id")+", "+e.q("k2"), "`id`, `k2`"
	}
	e.srcExec(fmt.Sprintf("CREATE TABLE %s (%s %s NOT NULL, %s %s NOT NULL, %s %s NULL, %s %s NULL, %s %s NOT NULL, PRIMARY KEY (%s))",
		e.q(name), e.q("id"), ty.BigInt, e.q("k2"), ty.Int, e.q("name"), ty.Text, e.q("amount"), ty.Decimal, e.q("updated_at"), ty.Timestamp, pk))
	e.srcExec(fmt.Sprintf("CREATE INDEX %s ON %s (%s, %s)", e.q("ix_"+name+"_sync"), e.q(name), e.q("updated_at"), pk))
	e.tgtExec(fmt.Sprintf("CREATE TABLE `%s` (`id` BIGINT NOT NULL, `k2` INT NOT NULL, `name` VARCHAR(200) NULL, "+
		"`amount` DECIMAL(38,10) NULL, `updated_at` DATETIME(6) NOT NULL, PRIMARY KEY (%s)) DEFAULT CHARSET=utf8mb4", name, tpk))
}

// insertItems inserts rows into the source, many to a statement.
func (e *env) insertItems(name string, items []item) {
	e.t.Helper()
	const per = 200
	for len(items) > 0 {
		n := min(per, len(items))
		var args []any
		vals := make([]string, n)
		for i, it := range items[:n] {
			vals[i] = "(?, ?, ?, ?, ?)"
			args = append(args, it.id, it.k2, it.name, it.amount, it.ts)
		}
		e.srcExec(fmt.Sprintf("INSERT INTO %s (%s, %s, %s, %s, %s) VALUES %s", e.q(name),
			e.q("id"), e.q("k2"), e.q("name"), e.q("amount"), e.q("updated_at"), strings.Join(vals, ", ")), args...)
		items = items[n:]
	}
}

// makeItems returns n rows with ids from first, k2 = 1, a ~name and an
// amount, at base plus i milliseconds.
func makeItems(first int64, n int, base time.Time) []item {
	out := make([]item, n)
	for i := range out {
		id := first + int64(i)
		out[i] = item{id: id, k2: 1, name: fmt.Sprintf("item %d ✓", id), amount: fmt.Sprintf("%d.%010d", id, id), ts: base.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

// base is a time well behind the source's clock, with microseconds, so
// that rows at it are inside every run's upper bound.
func (e *env) base() time.Time {
	return e.sourceNow().Add(-time.Hour).Truncate(time.Second).Add(123456 * time.Microsecond)
}

// assertSame checks that the target table holds exactly the source's rows,
// value for value, each read through its dialect's converter.
func (e *env) assertSame(name string) {
	e.t.Helper()
	cols := []string{"id", "k2", "name", "amount", "updated_at"}
	src := readAll(e.t, e.src, e.f.Dialect, name, cols)
	tgt := readAll(e.t, e.tgt, mysql.Dialect{}, name, cols)
	if len(src) != len(tgt) {
		e.t.Fatalf("%s: source has %d rows, target %d", name, len(src), len(tgt))
	}
	for i := range src {
		if !reflect.DeepEqual(src[i], tgt[i]) {
			e.t.Fatalf("%s: row %d differs:\nsource %#v\ntarget %#v", name, i, src[i], tgt[i])
		}
	}
}

// readAll reads a table in key order as portable values.
func readAll(t interface {
	Helper()
	Fatalf(string, ...any)
}, db *sql.DB, d datasync.Dialect, table string, cols []string) []datasync.Row {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quote(d, c)
	}
	rows, err := db.Query("SELECT " + strings.Join(quoted, ", ") + " FROM " + quote(d, table) + " ORDER BY " + quoted[0] + ", " + quoted[1])
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	types, _ := rows.ColumnTypes()
	var out []datasync.Row
	for rows.Next() {
		out = append(out, scanRow(t, rows, d, types))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return out
}

func scanRow(t interface {
	Helper()
	Fatalf(string, ...any)
}, rows *sql.Rows, d datasync.Dialect, types []*sql.ColumnType) datasync.Row {
	raw := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatalf("scan: %v", err)
	}
	for i, ct := range types {
		conv, err := d.Converter(datasync.Column{Name: ct.Name(), DatabaseType: strings.ToUpper(ct.DatabaseTypeName())})
		if err != nil {
			t.Fatalf("converter for %s: %v", ct.Name(), err)
		}
		if raw[i], err = conv(raw[i]); err != nil {
			t.Fatalf("convert %s: %v", ct.Name(), err)
		}
	}
	return raw
}

func quote(d datasync.Dialect, name string) string {
	return d.Quote(tables.Ident{Parts: []string{name}})
}
