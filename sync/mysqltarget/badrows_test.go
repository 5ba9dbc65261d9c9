package mysqltarget

import (
	"context"
	"errors"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// badRowsTarget makes a target table whose name column takes 5
// characters and whose qty is unsigned, so rows can be refused for data.
func badRowsTarget(t *testing.T, onBadRows string) (*Target, func(q string) int64) {
	t.Helper()
	_, dsn := synctest.MariaDB(t)
	db, err := mysql.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	synctest.Exec(t, db, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT UNSIGNED NOT NULL)")
	tgt, err := NewTarget(context.Background(), db, TargetOptions{
		Table: tables.Ident{Parts: []string{"items"}}, Columns: []string{"id", "name", "qty"}, Key: []string{"id"}, OnBadRows: onBadRows,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	count := func(q string) int64 {
		t.Helper()
		var n int64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return tgt, count
}

// page returns 100 rows with ids 1..100, of which ids 7, 50 and 93 are
// refused: a name too long, a negative unsigned, a name too long.
func badPage() []datasync.Row {
	var rows []datasync.Row
	for id := int64(1); id <= 100; id++ {
		name, qty := "ok", id
		switch id {
		case 7, 93:
			name = "much too long"
		case 50:
			qty = -1
		}
		rows = append(rows, datasync.Row{id, name, qty})
	}
	return rows
}

func TestBadRowsAreRejectedAndTheRestWritten(t *testing.T) {
	t.Parallel()
	tgt, count := badRowsTarget(t, tables.OnBadRowsReject)
	ctx := context.Background()
	st, err := tgt.Claim(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	st.RunID = 42
	pos := datasync.Position{Cursor: int64(100), Key: []any{int64(100)}}
	ws, err := tgt.WritePage(ctx, st, badPage(), pos)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Inserted != 97 || ws.Rejected != 3 {
		t.Fatalf("stats %+v, want 97 inserted and 3 rejected", ws)
	}
	if n := count("SELECT COUNT(*) FROM items"); n != 97 {
		t.Fatalf("%d rows in the target, want 97", n)
	}
	if n := count("SELECT COUNT(*) FROM items WHERE id IN (7, 50, 93)"); n != 0 {
		t.Fatalf("a refused row is in the target %d times", n)
	}
	if n := count(`SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items' AND run_id = 42 AND row_key IN ('["i:7"]', '["i:50"]', '["i:93"]')`); n != 3 {
		t.Fatalf("%d of the 3 refused rows in syncd_rejects", n)
	}
	if n := count(`SELECT COUNT(*) FROM syncd_rejects WHERE row_key = '["i:7"]' AND error LIKE '%Data too long%' AND row_values LIKE '%"name":"much too long"%'`); n != 1 {
		t.Fatal("the reject of row 7 does not hold its values and the server's error")
	}
	got, _, err := tgt.store.ReadState(ctx, "items")
	if err != nil || got.Position.String() != pos.String() {
		t.Fatalf("position %s (%v), want %s: the cursor moves past rows kept in rejects", got.Position, err, pos)
	}

	// Refused again (a re-run of the same page): one entry per key.
	if _, err := tgt.WritePage(ctx, st, badPage(), pos); err != nil {
		t.Fatal(err)
	}
	if n := count("SELECT COUNT(*) FROM syncd_rejects"); n != 3 {
		t.Fatalf("%d rejects after a second refusal, want still 3", n)
	}
	if n := count(`SELECT attempts FROM syncd_rejects WHERE row_key = '["i:50"]'`); n != 2 {
		t.Fatalf("attempts %d, want 2", n)
	}
}

func TestBadRowsFailMode(t *testing.T) {
	t.Parallel()
	tgt, count := badRowsTarget(t, tables.OnBadRowsFail)
	ctx := context.Background()
	st, err := tgt.Claim(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tgt.WritePage(ctx, st, badPage(), datasync.Position{Cursor: int64(100), Key: []any{int64(100)}})
	if !errors.Is(err, ErrBadRows) || !strings.Contains(err.Error(), `key ["i:7"]`) || !strings.Contains(err.Error(), `key ["i:50"]`) {
		t.Fatalf("err = %v; want ErrBadRows naming keys 7 and 50", err)
	}
	if n := count("SELECT COUNT(*) FROM items"); n != 0 {
		t.Fatalf("%d rows written; want none: the page is rolled back", n)
	}
	if n := count("SELECT COUNT(*) FROM syncd_rejects"); n != 0 {
		t.Fatalf("%d rejects kept in fail mode", n)
	}
	got, ok, err := tgt.store.ReadState(ctx, "items")
	if err != nil || !ok || !got.Position.IsZero() {
		t.Fatalf("state %+v (found %v, %v); want it found, at no position in fail mode", got, ok, err)
	}
}

// Rejects retried by a run that a newer claim replaced are refused as
// fenced, and by a run of a table paused since as paused; nothing of them
// is written: neither the rows, nor the rejects dropped. The run holding
// the table then retries them.
func TestRetryRejectsIsFenced(t *testing.T) {
	t.Parallel()
	tgt, count := badRowsTarget(t, tables.OnBadRowsReject)
	ctx := context.Background()
	old, err := tgt.Claim(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.WritePage(ctx, old, badPage(), datasync.Position{Cursor: int64(100), Key: []any{int64(100)}}); err != nil {
		t.Fatal(err)
	}
	keys, err := tgt.RejectedKeys(ctx, "items")
	if err != nil || len(keys) != 3 {
		t.Fatalf("rejected keys %v (%v), want 3", keys, err)
	}
	newer, err := tgt.Claim(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	fixed := []datasync.Row{{int64(7), "fixed", int64(7)}, {int64(93), "fixed", int64(93)}}
	gone := [][]any{{int64(50)}}
	_, err = tgt.RetryRejects(ctx, old, fixed, gone)
	if !errors.Is(err, datasync.ErrFenced) {
		t.Fatalf("retry under a stale version: %v, want ErrFenced", err)
	}
	if n := count("SELECT COUNT(*) FROM items WHERE id IN (7, 93)"); n != 0 {
		t.Fatalf("a fenced retry wrote %d rows", n)
	}
	if n := count("SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items'"); n != 3 {
		t.Fatalf("a fenced retry left %d of 3 rejects", n)
	}
	if err := tgt.store.SetPaused(ctx, "items", true); err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.RetryRejects(ctx, newer, fixed, gone); !errors.Is(err, datasync.ErrPaused) {
		t.Fatalf("retry of a table paused since its claim: %v, want ErrPaused", err)
	}
	if n := count("SELECT COUNT(*) FROM items WHERE id IN (7, 93)") + count("SELECT 3 - COUNT(*) FROM syncd_rejects"); n != 0 {
		t.Fatal("a retry of a paused table wrote rows or dropped rejects")
	}
	if err := tgt.store.SetPaused(ctx, "items", false); err != nil {
		t.Fatal(err)
	}
	if newer, err = tgt.Claim(ctx, "items"); err != nil {
		t.Fatal(err)
	}
	ws, err := tgt.RetryRejects(ctx, newer, fixed, gone)
	if err != nil || ws.Inserted != 2 {
		t.Fatalf("retry under the current version: %+v, %v; want 2 inserted", ws, err)
	}
	if n := count("SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items'"); n != 0 {
		t.Fatalf("%d rejects left after a retry that wrote or dropped each", n)
	}
}

// A connection cut under a page (by the test proxy, a real connection
// going away) is no bad row: the page fails, to be retried whole, and
// nothing goes to syncd_rejects.
func TestDataErrorsAreNotConnectionErrors(t *testing.T) {
	t.Parallel()
	if isDataError(context.Canceled) {
		t.Fatal("a canceled context taken for a bad row")
	}
	name, _ := synctest.MariaDB(t)
	proxy := synctest.NewProxy(t, "127.0.0.1:3306")
	db, err := mysql.OpenDB("root@tcp(" + proxy.Addr() + ")/" + name + "?parseTime=true&loc=UTC")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	synctest.Exec(t, db, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT UNSIGNED NOT NULL)")
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // the connection is gone
	proxy.Cut()
	_, err = tx.ExecContext(ctx, "INSERT INTO items VALUES (1, 'ok', 1)")
	if err == nil || isDataError(err) {
		t.Fatalf("insert over a cut connection: %v; want an error that is no data error", err)
	}

	proxy.Restore()
	tgt, err := NewTarget(ctx, db, TargetOptions{Table: tables.Ident{Parts: []string{"items"}}, Columns: []string{"id", "name", "qty"}, Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	st, err := tgt.Claim(ctx, "items")
	if err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	_, err = tgt.WritePage(ctx, st, badPage(), datasync.Position{Cursor: int64(100), Key: []any{int64(100)}})
	if err == nil || errors.Is(err, ErrBadRows) {
		t.Fatalf("page over a cut connection: %v; want it failed", err)
	}
	proxy.Restore()
	var rows, rejects int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM syncd_rejects)").Scan(&rows, &rejects); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || rejects != 0 {
		t.Fatalf("a page over a cut connection left %d rows and %d rejects, want none", rows, rejects)
	}
}

// A session of syncd refuses bad values instead of cutting them with a
// warning, whatever the server's global sql_mode.
func TestSessionsAreStrict(t *testing.T) {
	t.Parallel()
	_, dsn := synctest.MariaDB(t)
	db, err := mysql.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mode, "STRICT_ALL_TABLES") {
		t.Fatalf("session sql_mode %q, want STRICT_ALL_TABLES in it", mode)
	}
}
