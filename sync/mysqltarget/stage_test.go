package mysqltarget_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

const wideDDL = `CREATE TABLE %s (
	id BIGINT NOT NULL PRIMARY KEY,
	name VARCHAR(40) NULL,
	amount DECIMAL(20,6) NULL,
	ratio DOUBLE NULL,
	at DATETIME(6) NULL,
	n BIGINT UNSIGNED NULL
)`

var wideCols = []string{"id", "name", "amount", "ratio", "at", "n"}

// stagedTarget creates table name in db and a Target writing it.
func stagedTarget(t *testing.T, db *sql.DB, name, ddl string, cols []string, noStage bool) (*mysqltarget.Target, datasync.State) {
	t.Helper()
	synctest.Exec(t, db, fmt.Sprintf(ddl, name))
	tgt, err := mysqltarget.NewTarget(context.Background(), db, mysqltarget.TargetOptions{
		Table: tables.Ident{Parts: []string{name}}, Columns: cols, Key: []string{"id"}, NoStage: noStage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	st, err := tgt.Claim(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	// Past the initial load, where every page goes through the stage (an
	// initial load tries the direct load first: direct_test.go).
	st.Position = datasync.Position{Cursor: int64(0)}
	return tgt, st
}

// dump returns every row of table as text, in key order.
func dump(t *testing.T, db *sql.DB, table string, ncols int) [][]sql.NullString {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]sql.NullString
	for rows.Next() {
		r := make([]sql.NullString, ncols)
		ptrs := make([]any, ncols)
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func storedKey(t *testing.T, db *sql.DB, table string) sql.NullString {
	t.Helper()
	var k sql.NullString
	if err := db.QueryRow("SELECT last_key FROM syncd_state WHERE table_name = ?", table).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

// awkwardRows hold what a text stream could get wrong: its own separators
// and escapes, the NULL marker as text, NUL bytes, 4-byte characters,
// every digit of a decimal, float edges, microseconds, the largest uint64.
func awkwardRows() []datasync.Row {
	at := time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC)
	return []datasync.Row{
		{int64(5), "tab\there", "12345678901234.123456", 0.1, at, uint64(math.MaxUint64)},
		{int64(1), "line\nbreak\r\nand \\ backslash", "-0.000001", 1e-300, at.Add(time.Microsecond), uint64(0)},
		{int64(3), `\N`, "0", -2.5, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), nil},
		{int64(2), "nul\x00byte 😀 供应商", nil, nil, nil, uint64(7)},
		{int64(4), "", "1", math.MaxFloat64, at.Add(-time.Hour), nil},
		{int64(6), nil, nil, nil, nil, nil},
	}
}

// The staged path writes exactly what the prepared upsert writes, counts
// alike, and moves the cursor to the page's end in the same transaction.
func TestStagedPageEqualsUpsertedPage(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	staged, sst := stagedTarget(t, db, "t_staged", wideDDL, wideCols, false)
	upserted, ust := stagedTarget(t, db, "t_upserted", wideDDL, wideCols, true)
	pos := datasync.Position{Cursor: int64(9), Key: []any{int64(6)}}
	ctx := context.Background()
	sws, err := staged.WritePage(ctx, sst, awkwardRows(), pos)
	if err != nil {
		t.Fatal(err)
	}
	uws, err := upserted.WritePage(ctx, ust, awkwardRows(), pos)
	if err != nil {
		t.Fatal(err)
	}
	if staged.StagedPages() != 1 || upserted.StagedPages() != 0 {
		t.Fatalf("staged pages: %d and %d, want 1 and 0", staged.StagedPages(), upserted.StagedPages())
	}
	if sws != uws || sws.Inserted != 6 {
		t.Fatalf("counts: staged %+v, upserted %+v, want 6 inserted in both", sws, uws)
	}
	got, want := dump(t, db, "t_staged", len(wideCols)), dump(t, db, "t_upserted", len(wideCols))
	if len(got) != 6 || !reflect.DeepEqual(got, want) {
		t.Fatalf("staged rows differ from upserted rows:\n got %v\nwant %v", got, want)
	}
	if k := storedKey(t, db, "t_staged"); k.String != `["i:6"]` {
		t.Fatalf("stored key %v, want the page's last", k)
	}
}

// Written again, a page changes nothing; a page of new, changed and
// unchanged rows (one key twice: the later row wins) counts each.
func TestStagedPageCounts(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	tgt, st := stagedTarget(t, db, "t", wideDDL, wideCols, false)
	ctx := context.Background()
	row := func(id int64, name string) datasync.Row { return datasync.Row{id, name, "1.5", nil, nil, nil} }
	first := []datasync.Row{row(1, "a"), row(2, "b"), row(3, "c"), row(4, "d")}
	pos := datasync.Position{Cursor: int64(1), Key: []any{int64(4)}}
	if ws, err := tgt.WritePage(ctx, st, first, pos); err != nil || ws != (datasync.WriteStats{Inserted: 4}) {
		t.Fatalf("first page: %+v, %v", ws, err)
	}
	if ws, err := tgt.WritePage(ctx, st, first, pos); err != nil || ws != (datasync.WriteStats{Unchanged: 4}) {
		t.Fatalf("same page again: %+v, %v", ws, err)
	}
	second := []datasync.Row{row(1, "a"), row(2, "B"), row(5, "e"), row(3, "x"), row(3, "C"), row(6, "f")}
	ws, err := tgt.WritePage(ctx, st, second, datasync.Position{Cursor: int64(2), Key: []any{int64(6)}})
	if err != nil || ws != (datasync.WriteStats{Inserted: 2, Updated: 2, Unchanged: 1}) {
		t.Fatalf("mixed page: %+v, %v (want 2 inserted, 2 updated, 1 unchanged)", ws, err)
	}
	if tgt.StagedPages() != 3 {
		t.Fatalf("staged pages %d, want 3", tgt.StagedPages())
	}
	var names string
	if err := db.QueryRow("SELECT GROUP_CONCAT(name ORDER BY id SEPARATOR '') FROM t").Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != "aBCdef" {
		t.Fatalf("names %q, want aBCdef", names)
	}
}

// A value the target refuses turns into a mere warning under LOAD DATA
// LOCAL; the stage's check catches it, and the page goes through the
// upsert, which meets the real error. With on_bad_rows: fail no row of
// the page stays and the cursor does not move; with reject (the default)
// the good row is written and the refused one kept in syncd_rejects.
func TestStagedPageRefusedValue(t *testing.T) {
	rows := []datasync.Row{
		{int64(1), "fine", nil, nil, nil, nil},
		{int64(2), strings.Repeat("x", 41), nil, nil, nil, nil},
	}
	pos := datasync.Position{Cursor: int64(1), Key: []any{int64(2)}}

	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	synctest.Exec(t, db, fmt.Sprintf(wideDDL, "f"))
	fail, err := mysqltarget.NewTarget(context.Background(), db, mysqltarget.TargetOptions{
		Table: tables.Ident{Parts: []string{"f"}}, Columns: wideCols, Key: []string{"id"}, OnBadRows: tables.OnBadRowsFail})
	if err != nil {
		t.Fatal(err)
	}
	defer fail.Close()
	st, err := fail.Claim(context.Background(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fail.WritePage(context.Background(), st, rows, pos); err == nil || !strings.Contains(err.Error(), "Data too long") {
		t.Fatalf("fail mode, page with a too long value: err = %v, want the server's Data too long", err)
	}
	if got := dump(t, db, "f", len(wideCols)); len(got) != 0 {
		t.Fatalf("a failed page left rows: %v", got)
	}
	if k := storedKey(t, db, "f"); k.Valid {
		t.Fatalf("a failed page moved the cursor to %v", k)
	}

	tgt, st := stagedTarget(t, db, "t", wideDDL, wideCols, false)
	ws, err := tgt.WritePage(context.Background(), st, rows, pos)
	if err != nil || ws.Inserted != 1 || ws.Rejected != 1 {
		t.Fatalf("reject mode: %+v, %v; want 1 inserted, 1 rejected", ws, err)
	}
	if got := dump(t, db, "t", len(wideCols)); len(got) != 1 || got[0][1].String != "fine" {
		t.Fatalf("reject mode left %v; want the good row only", got)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 't' AND row_key = '["i:2"]'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the refused row is not in syncd_rejects (%d, %v)", n, err)
	}
}

// Values the text stream cannot carry exactly (bytes here) and columns
// MEMORY cannot hold (TEXT) are still written: the first by the upsert,
// the second through a stage on disk from the next page on.
func TestStagedPageFallbacks(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ddl := "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, body TEXT NULL, raw VARBINARY(8) NULL)"
	cols := []string{"id", "body", "raw"}
	tgt, st := stagedTarget(t, db, "t", ddl, cols, false)
	ctx := context.Background()
	pages := [][]datasync.Row{
		{{int64(1), "text column", nil}},         // MEMORY refuses TEXT: upserted
		{{int64(2), "on disk", nil}},             // staged in InnoDB
		{{int64(3), nil, []byte{0, 0xff, '\t'}}}, // bytes: upserted
		{{int64(4), "tab\tand\nnewline", nil}},   // staged again
	}
	for i, p := range pages {
		pos := datasync.Position{Cursor: int64(i), Key: []any{p[0][0]}}
		if ws, err := tgt.WritePage(ctx, st, p, pos); err != nil || ws.Inserted != 1 {
			t.Fatalf("page %d: %+v, %v", i+1, ws, err)
		}
	}
	if tgt.StagedPages() != 2 {
		t.Fatalf("staged pages %d, want 2", tgt.StagedPages())
	}
	var raw []byte
	var body string
	if err := db.QueryRow("SELECT raw FROM t WHERE id = 3").Scan(&raw); err != nil || string(raw) != "\x00\xff\t" {
		t.Fatalf("bytes written as %q, %v", raw, err)
	}
	if err := db.QueryRow("SELECT body FROM t WHERE id = 4").Scan(&body); err != nil || body != "tab\tand\nnewline" {
		t.Fatalf("text written as %q, %v", body, err)
	}
	// Building and dropping an on-disk stage must not commit the page's
	// transaction early: a fenced page leaves nothing.
	if _, err := tgt.Claim(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	_, err := tgt.WritePage(ctx, st, []datasync.Row{{int64(5), "stale", nil}}, datasync.Position{Cursor: int64(9), Key: []any{int64(5)}})
	if !errors.Is(err, datasync.ErrFenced) || tgt.StagedPages() != 3 {
		t.Fatalf("stale staged page: err = %v, staged pages %d; want ErrFenced after staging it", err, tgt.StagedPages())
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE id = 5").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a fenced staged page left %d rows (%v)", n, err)
	}
}

// Tables written at once on one pool each get their own stage: temporary
// tables belong to a session, reader names are unique in the process.
func TestStagedPagesConcurrentTables(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	const tablesN, pages, per = 3, 10, 50
	var wg sync.WaitGroup
	errs := make(chan error, tablesN)
	for n := 0; n < tablesN; n++ {
		tgt, st := stagedTarget(t, db, fmt.Sprintf("t%d", n), wideDDL, wideCols, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := 0; p < pages; p++ {
				rows := make([]datasync.Row, per)
				for i := range rows {
					rows[i] = datasync.Row{int64(p*per + i), fmt.Sprintf("t%d", n), nil, nil, nil, nil}
				}
				if _, err := tgt.WritePage(context.Background(), st, rows, datasync.Position{Cursor: int64(p), Key: []any{int64(p*per + per - 1)}}); err != nil {
					errs <- err
					return
				}
			}
			if tgt.StagedPages() != pages {
				errs <- fmt.Errorf("t%d: staged pages %d, want %d", n, tgt.StagedPages(), pages)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(func() []error {
		var all []error
		for e := range errs {
			all = append(all, e)
		}
		return all
	}()...); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < tablesN; n++ {
		var rows, others int
		if err := db.QueryRow(fmt.Sprintf("SELECT COUNT(*), SUM(name <> 't%d') FROM t%d", n, n)).Scan(&rows, &others); err != nil {
			t.Fatal(err)
		}
		if rows != pages*per || others != 0 {
			t.Fatalf("t%d holds %d rows (%d of another table), want %d", n, rows, others, pages*per)
		}
	}
}
