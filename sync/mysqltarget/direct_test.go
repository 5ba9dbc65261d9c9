package mysqltarget_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// directTarget creates table name in db and a Target writing it, claimed
// for an initial load (the position is zero), where pages try the direct
// load first.
func directTarget(t *testing.T, db *sql.DB, name string, o mysqltarget.TargetOptions) (*mysqltarget.Target, datasync.State) {
	t.Helper()
	synctest.Exec(t, db, fmt.Sprintf(wideDDL, name))
	o.Table, o.Columns, o.Key = tables.Ident{Parts: []string{name}}, wideCols, []string{"id"}
	tgt, err := mysqltarget.NewTarget(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	st, err := tgt.Claim(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Position.IsZero() {
		t.Fatalf("claimed %s at %v, want an initial load", name, st.Position)
	}
	return tgt, st
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A page of an initial load goes straight into the empty table, byte for
// byte what the stage writes (NULLs, the stream's own separators, 4-byte
// characters, every digit of a decimal, microseconds, the largest uint64),
// counted as inserted, with the cursor in the same transaction.
func TestDirectLoadEqualsStagedPage(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	direct, dst := directTarget(t, db, "t_direct", mysqltarget.TargetOptions{})
	staged, sst := stagedTarget(t, db, "t_staged", wideDDL, wideCols, false)
	pos := datasync.Position{Cursor: int64(9), Key: []any{int64(6)}}
	ctx := context.Background()
	dws, err := direct.WritePage(ctx, dst, awkwardRows(), pos)
	if err != nil {
		t.Fatal(err)
	}
	sws, err := staged.WritePage(ctx, sst, awkwardRows(), pos)
	if err != nil {
		t.Fatal(err)
	}
	if direct.DirectPages() != 1 || direct.StagedPages() != 0 || direct.DirectMisses() != 0 || staged.DirectPages() != 0 {
		t.Fatalf("direct target: %d direct, %d staged, %d misses; staged target: %d direct; want 1, 0, 0; 0",
			direct.DirectPages(), direct.StagedPages(), direct.DirectMisses(), staged.DirectPages())
	}
	if dws != sws || dws != (datasync.WriteStats{Inserted: 6}) {
		t.Fatalf("counts: direct %+v, staged %+v, want 6 inserted in both", dws, sws)
	}
	got, want := dump(t, db, "t_direct", len(wideCols)), dump(t, db, "t_staged", len(wideCols))
	if len(got) != 6 || !reflect.DeepEqual(got, want) {
		t.Fatalf("direct rows differ from staged rows:\n got %v\nwant %v", got, want)
	}
	if k := storedKey(t, db, "t_direct"); k.String != `["i:6"]` {
		t.Fatalf("stored key %v, want the page's last", k)
	}
}

// A key of the page already in the target: LOAD DATA LOCAL would skip it,
// so the direct load is undone and the page merged through the stage;
// the existing row takes the page's values, nothing is doubled or lost,
// and the run's later pages no longer try the direct load.
func TestDirectLoadDuplicateFallsBack(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	tgt, st := directTarget(t, db, "t", mysqltarget.TargetOptions{})
	synctest.Exec(t, db, "INSERT INTO t (id, name) VALUES (3, 'old')")
	ctx := context.Background()
	row := func(id int64, name string) datasync.Row { return datasync.Row{id, name, "2.5", nil, nil, nil} }
	page := []datasync.Row{row(1, "a"), row(2, "b"), row(3, "c"), row(4, "d")}
	ws, err := tgt.WritePage(ctx, st, page, datasync.Position{Cursor: int64(1), Key: []any{int64(4)}})
	if err != nil || ws != (datasync.WriteStats{Inserted: 3, Updated: 1}) {
		t.Fatalf("page over an existing key: %+v, %v; want 3 inserted, 1 updated", ws, err)
	}
	if tgt.DirectPages() != 0 || tgt.DirectMisses() != 1 || tgt.StagedPages() != 1 {
		t.Fatalf("%d direct, %d misses, %d staged; want 0, 1, 1", tgt.DirectPages(), tgt.DirectMisses(), tgt.StagedPages())
	}
	var names string
	if err := db.QueryRow("SELECT GROUP_CONCAT(CONCAT(id, name, amount) ORDER BY id) FROM t").Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != "1a2.500000,2b2.500000,3c2.500000,4d2.500000" {
		t.Fatalf("rows %q, want each key once with the page's values", names)
	}
	// The next page of the same run, into fresh keys, skips the attempt.
	if _, err := tgt.WritePage(ctx, st, []datasync.Row{row(5, "e")}, datasync.Position{Cursor: int64(2), Key: []any{int64(5)}}); err != nil {
		t.Fatal(err)
	}
	if tgt.DirectMisses() != 1 || tgt.DirectPages() != 0 || tgt.StagedPages() != 2 || countRows(t, db, "t") != 5 {
		t.Fatalf("after a miss: %d direct, %d misses, %d staged, %d rows; want 0, 1, 2, 5",
			tgt.DirectPages(), tgt.DirectMisses(), tgt.StagedPages(), countRows(t, db, "t"))
	}
}

// A value the target would truncate is only a warning to LOAD DATA LOCAL:
// the direct load is undone, and the page takes the stage and then the
// bad-row path as before: with reject the good rows are written once and
// the refused one kept in syncd_rejects; with fail nothing stays and the
// cursor does not move.
func TestDirectLoadWarningFallsBack(t *testing.T) {
	rows := []datasync.Row{
		{int64(1), "fine", "1.25", nil, nil, nil},
		{int64(2), strings.Repeat("x", 41), nil, nil, nil, nil},
		{int64(3), "also fine", nil, nil, nil, nil},
	}
	pos := datasync.Position{Cursor: int64(1), Key: []any{int64(3)}}
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()

	tgt, st := directTarget(t, db, "t", mysqltarget.TargetOptions{})
	ws, err := tgt.WritePage(ctx, st, rows, pos)
	if err != nil || ws != (datasync.WriteStats{Inserted: 2, Rejected: 1}) {
		t.Fatalf("reject mode: %+v, %v; want 2 inserted, 1 rejected", ws, err)
	}
	if tgt.DirectPages() != 0 || tgt.DirectMisses() != 1 {
		t.Fatalf("%d direct, %d misses; want 0 and 1", tgt.DirectPages(), tgt.DirectMisses())
	}
	if got := dump(t, db, "t", len(wideCols)); len(got) != 2 || got[0][1].String != "fine" || got[1][1].String != "also fine" {
		t.Fatalf("reject mode left %v; want the two good rows once", got)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 't' AND row_key = '["i:2"]'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the refused row is not in syncd_rejects (%d, %v)", n, err)
	}
	if k := storedKey(t, db, "t"); k.String != `["i:3"]` {
		t.Fatalf("stored key %v, want the page's last", k)
	}

	fail, fst := directTarget(t, db, "f", mysqltarget.TargetOptions{OnBadRows: tables.OnBadRowsFail})
	if _, err := fail.WritePage(ctx, fst, rows, pos); err == nil || !strings.Contains(err.Error(), "Data too long") {
		t.Fatalf("fail mode: err = %v, want the server's Data too long", err)
	}
	if got := countRows(t, db, "f"); got != 0 || fail.DirectMisses() != 1 {
		t.Fatalf("fail mode left %d rows after %d direct misses; want 0 and 1", got, fail.DirectMisses())
	}
	if k := storedKey(t, db, "f"); k.Valid {
		t.Fatalf("a failed page moved the cursor to %v", k)
	}
}

// A direct load is part of the page's transaction: a page whose run was
// fenced after loading leaves no row behind.
func TestDirectLoadFenced(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	tgt, st := directTarget(t, db, "t", mysqltarget.TargetOptions{})
	ctx := context.Background()
	if _, err := tgt.Claim(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	_, err := tgt.WritePage(ctx, st, awkwardRows(), datasync.Position{Cursor: int64(1), Key: []any{int64(6)}})
	if !errors.Is(err, datasync.ErrFenced) || tgt.DirectPages() != 1 {
		t.Fatalf("stale page: err = %v after %d direct loads; want ErrFenced after loading it", err, tgt.DirectPages())
	}
	if n := countRows(t, db, "t"); n != 0 {
		t.Fatalf("a fenced direct load left %d rows", n)
	}
}

// A page of a fresh snapshot part is loaded directly, byte for byte what
// the stage writes; a page that meets a row already in the range falls
// back to the merge; a part that is not fresh never tries.
func TestDirectLoadFreshPart(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	tgt, _ := directTarget(t, db, "t", mysqltarget.TargetOptions{})
	staged, sst := stagedTarget(t, db, "t_staged", wideDDL, wideCols, false)
	if _, err := staged.WritePage(ctx, sst, awkwardRows(), datasync.Position{Cursor: int64(1), Key: []any{int64(6)}}); err != nil {
		t.Fatal(err)
	}
	snap, err := tgt.StartSnapshot(ctx, "t", int64(100), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := tgt.ClaimPart(ctx, "t", snap.Generation, 0)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tgt.WritePart(ctx, ps, awkwardRows(), []any{int64(6)}, true)
	if err != nil || ws != (datasync.WriteStats{Inserted: 6}) || tgt.DirectPages() != 1 || tgt.StagedPages() != 0 {
		t.Fatalf("fresh page: %+v, %v, %d direct, %d staged; want 6 inserted directly", ws, err, tgt.DirectPages(), tgt.StagedPages())
	}
	if got, want := dump(t, db, "t", len(wideCols)), dump(t, db, "t_staged", len(wideCols)); !reflect.DeepEqual(got, want) {
		t.Fatalf("direct rows differ from staged rows:\n got %v\nwant %v", got, want)
	}
	row := func(id int64) datasync.Row { return datasync.Row{id, "again", nil, nil, nil, nil} }
	ws, err = tgt.WritePart(ctx, ps, []datasync.Row{row(6), row(7)}, []any{int64(7)}, true)
	if err != nil || ws != (datasync.WriteStats{Inserted: 1, Updated: 1}) || tgt.DirectMisses() != 1 || tgt.StagedPages() != 1 {
		t.Fatalf("page over a written key: %+v, %v, %d misses, %d staged; want 1 inserted, 1 updated through the stage", ws, err, tgt.DirectMisses(), tgt.StagedPages())
	}
	if _, err := tgt.WritePart(ctx, ps, []datasync.Row{row(8)}, []any{int64(8)}, false); err != nil || tgt.DirectPages() != 1 || tgt.StagedPages() != 2 {
		t.Fatalf("page of a part not fresh: %v, %d direct, %d staged; want it staged", err, tgt.DirectPages(), tgt.StagedPages())
	}
	if n := countRows(t, db, "t"); n != 8 {
		t.Fatalf("%d rows, want 8 (each key once)", n)
	}
}
