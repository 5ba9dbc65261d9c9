package mysqltarget_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A link table (two foreign keys, nothing else) has every column in its
// key: two pages, the second re-applying rows of the first, are written by
// each write path (in the staged case, the first page is loaded directly
// into the empty table and the second, whose direct load finds keys of the
// first, is merged through the stage), and the stored position is each
// page's last.
func TestAllKeyTable(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	for _, c := range []struct {
		name    string
		noStage bool
		staged  int64 // pages the staged path must have written
		direct  int64 // pages loaded directly
	}{
		{"staged", false, 1, 1},
		{"upserted", true, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			table := "link_" + c.name
			tgt, st := allKeyTarget(t, db, table, c.noStage)
			ctx := context.Background()
			first := []datasync.Row{{int64(1), "x"}, {int64(1), "y"}, {int64(2), "x"}}
			ws, err := tgt.WritePage(ctx, st, first, datasync.Position{Cursor: int64(10), Key: []any{int64(2), "x"}})
			if err != nil || ws != (datasync.WriteStats{Inserted: 3}) {
				t.Fatalf("first page: %+v, %v; want 3 inserted", ws, err)
			}
			second := []datasync.Row{{int64(2), "x"}, {int64(1), "y"}, {int64(3), "z"}}
			ws, err = tgt.WritePage(ctx, st, second, datasync.Position{Cursor: int64(11), Key: []any{int64(3), "z"}})
			if err != nil || ws != (datasync.WriteStats{Inserted: 1, Unchanged: 2}) {
				t.Fatalf("second page: %+v, %v; want 1 inserted, 2 unchanged", ws, err)
			}
			if got := linkRows(t, db, table); got != "1/x 1/y 2/x 3/z" {
				t.Fatalf("rows %q, want 1/x 1/y 2/x 3/z", got)
			}
			assertPosition(t, db, table, "i:11", `["i:3","s:z"]`)
			if tgt.StagedPages() != c.staged || tgt.DirectPages() != c.direct {
				t.Fatalf("staged pages %d, direct %d; want %d and %d", tgt.StagedPages(), tgt.DirectPages(), c.staged, c.direct)
			}
		})
	}
}

// A page holding a row the target refuses is written by splitting it,
// through the upsert: with every column in the key, too.
func TestAllKeyTableBadRow(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	tgt, st := allKeyTarget(t, db, "link", false)
	ctx := context.Background()
	rows := []datasync.Row{{int64(1), "x"}, {int64(2), strings.Repeat("long", 10)}, {int64(3), "z"}}
	ws, err := tgt.WritePage(ctx, st, rows, datasync.Position{Cursor: int64(10), Key: []any{int64(3), "z"}})
	if err != nil || ws != (datasync.WriteStats{Inserted: 2, Rejected: 1}) {
		t.Fatalf("page with a bad row: %+v, %v; want 2 inserted, 1 rejected", ws, err)
	}
	ws, err = tgt.WritePage(ctx, st, rows[:1], datasync.Position{Cursor: int64(11), Key: []any{int64(1), "x"}})
	if err != nil || ws != (datasync.WriteStats{Unchanged: 1}) {
		t.Fatalf("page re-applied: %+v, %v; want 1 unchanged", ws, err)
	}
	if got := linkRows(t, db, "link"); got != "1/x 3/z" {
		t.Fatalf("rows %q, want 1/x 3/z", got)
	}
	assertPosition(t, db, "link", "i:11", `["i:1","s:x"]`)
}

func allKeyTarget(t *testing.T, db *sql.DB, table string, noStage bool) (*mysqltarget.Target, datasync.State) {
	t.Helper()
	synctest.Exec(t, db, "CREATE TABLE "+table+" (a BIGINT NOT NULL, b VARCHAR(20) NOT NULL, PRIMARY KEY (a, b))")
	tgt, err := mysqltarget.NewTarget(context.Background(), db, mysqltarget.TargetOptions{
		Table: tables.Ident{Parts: []string{table}}, Columns: []string{"a", "b"}, Key: []string{"a", "b"}, NoStage: noStage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	st, err := tgt.Claim(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	return tgt, st
}

// linkRows returns a link table's rows as "a/b", in key order.
func linkRows(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query("SELECT a, b FROM " + table + " ORDER BY a, b")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, a+"/"+b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func assertPosition(t *testing.T, db *sql.DB, table, cursor, key string) {
	t.Helper()
	var cur, k sql.NullString
	if err := db.QueryRow("SELECT cursor_value, last_key FROM syncd_state WHERE table_name = ?", table).Scan(&cur, &k); err != nil {
		t.Fatal(err)
	}
	if cur.String != cursor || k.String != key {
		t.Fatalf("stored position (%v, %v), want (%s, %s)", cur, k, cursor, key)
	}
}
