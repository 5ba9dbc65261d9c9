package mysqltarget_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
)

// numbered returns rows ids from..to of the wide shape, named by tag.
func numbered(from, to int, tag string) []datasync.Row {
	var rows []datasync.Row
	for i := from; i <= to; i++ {
		rows = append(rows, datasync.Row{int64(i), fmt.Sprintf("%s %d", tag, i), "1.5", 0.5, nil, uint64(i)})
	}
	return rows
}

// Staged pages touch neither the table nor the position until the merge,
// which writes them all and moves the position in one transaction; a key
// staged in two pages (changed again while the run read) ends with the
// later page's row, whatever order the server sorts equal keys in.
func TestGroupMergesStagedPages(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	tgt, st := stagedTarget(t, db, "t", wideDDL, wideCols, false)
	ctx := context.Background()
	if _, err := tgt.WritePage(ctx, st, numbered(1, 100, "old"), datasync.Position{Cursor: int64(1), Key: []any{int64(100)}}); err != nil {
		t.Fatal(err)
	}
	g, err := tgt.OpenGroup(ctx)
	if err != nil || g == nil {
		t.Fatalf("open group: %v, %v", g, err)
	}
	defer g.Close()
	// Two pages over the same 300 keys (50 existing, 250 new), then a
	// third over half of them again.
	for _, tag := range []string{"first", "second"} {
		if ok, err := g.Add(ctx, tgt.Prepare(numbered(51, 350, tag))); !ok || err != nil {
			t.Fatalf("add page %s: %v, %v", tag, ok, err)
		}
	}
	if ok, err := g.Add(ctx, tgt.Prepare(numbered(51, 200, "third"))); !ok || err != nil {
		t.Fatalf("add third page: %v, %v", ok, err)
	}
	if n := countRows(t, db, "t WHERE name LIKE 'old%'"); n != 100 {
		t.Fatalf("staging changed the table: %d old rows left, want 100", n)
	}
	if k := storedKey(t, db, "t"); k.String != `["i:100"]` {
		t.Fatalf("staging moved the position to %v", k)
	}
	pos := datasync.Position{Cursor: int64(3), Key: []any{int64(350)}}
	ws, err := g.Merge(ctx, st, pos)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"old": 50, "third": 150, "second": 150}
	got := map[string]int{}
	for _, r := range dump(t, db, "t", len(wideCols)) {
		var tag string
		var id int
		fmt.Sscanf(r[1].String, "%s %d", &tag, &id) //nolint:errcheck // checked by the counts below
		got[tag]++
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows by the page that wrote them: %v, want %v", got, want)
	}
	if k := storedKey(t, db, "t"); k.String != `["i:350"]` || tgt.GroupMerges() != 1 {
		t.Fatalf("after the merge: key %v, %d merges; want the group's last key, 1 merge", k, tgt.GroupMerges())
	}
	if ws.Inserted != 250 || ws.Updated != 500 {
		t.Fatalf("counts %+v, want the 250 new keys inserted and the 500 other rows updated", ws)
	}
}

// A merge whose version is stale writes nothing and says so; the stage
// is empty afterwards, and the group goes on with the next pages.
func TestGroupMergeFenced(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	tgt, st := stagedTarget(t, db, "t", wideDDL, wideCols, false)
	ctx := context.Background()
	g, err := tgt.OpenGroup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if ok, err := g.Add(ctx, tgt.Prepare(numbered(1, 10, "stale"))); !ok || err != nil {
		t.Fatalf("add: %v, %v", ok, err)
	}
	newer, err := tgt.Claim(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Merge(ctx, st, datasync.Position{Cursor: int64(1), Key: []any{int64(10)}}); !errors.Is(err, datasync.ErrFenced) {
		t.Fatalf("merge under a stale version: %v, want ErrFenced", err)
	}
	if n := countRows(t, db, "t"); n != 0 {
		t.Fatalf("a fenced merge left %d rows", n)
	}
	if ok, err := g.Add(ctx, tgt.Prepare(numbered(5, 6, "newer"))); !ok || err != nil {
		t.Fatalf("add after the fenced merge: %v, %v", ok, err)
	}
	if _, err := g.Merge(ctx, newer, datasync.Position{Cursor: int64(2), Key: []any{int64(6)}}); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, "t WHERE name LIKE 'newer%'"); n != 2 {
		t.Fatalf("%d rows after the next merge, want only its 2 (the fenced page's rows left the stage)", n)
	}
}
