package mysql

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// insertThroughProxy opens an OpenDB pool on a database of the test's own
// through a test proxy, and begins a transaction under ctx that inserts
// row 1 into a table items.
func insertThroughProxy(t *testing.T, ctx context.Context) (*sql.DB, *synctest.Proxy, *sql.Tx) {
	t.Helper()
	name, _ := synctest.MariaDB(t)
	proxy := synctest.NewProxy(t, "127.0.0.1:3306")
	db, err := OpenDB("root@tcp(" + proxy.Addr() + ")/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	synctest.Exec(t, db, "CREATE TABLE items (id BIGINT PRIMARY KEY)")
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO items VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	return db, proxy, tx
}

// A connection that stops answering (half-open: the test proxy stalls it)
// while a transaction commits: Commit ends with the context the
// transaction began with, as every other statement does, instead of
// waiting for an answer that never comes; with the connection answering
// again, the pool goes on with a fresh connection.
func TestCommitEndsWithTheTransactionsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	db, proxy, tx := insertThroughProxy(t, ctx)
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	proxy.Stall()
	var err error
	done := make(chan error, 1)
	go func() { done <- tx.Commit() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		proxy.Restore()
		t.Fatal("Commit over a stalled connection still waits a minute after its context's 2s deadline")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrCommitUnknown) {
		t.Fatalf("Commit over a stalled connection: %v; want the context's deadline, the outcome unknown", err)
	}
	proxy.Restore()

	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil {
		t.Fatalf("the pool after a commit cut short: %v", err)
	}
	if n > 1 {
		t.Fatalf("%d rows after one INSERT; want at most 1", n)
	}
	// 0 or 1: whether a COMMIT cut short took effect only the server
	// knows (here the proxy delivers the COMMIT it held once restored).
}

// A COMMIT under way when its transaction's context is cancelled (a
// worker shutting down, not a deadline) completes: the run stops at the
// page boundary with the page committed and counted. The proxy holds the
// COMMIT while the context is cancelled, then lets it through.
func TestCommitCompletesWhenItsContextIsCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, proxy, tx := insertThroughProxy(t, ctx)
	proxy.Stall()
	done := make(chan error, 1)
	go func() { done <- tx.Commit() }()
	time.Sleep(200 * time.Millisecond) // the COMMIT is sent and held
	cancel()
	time.Sleep(200 * time.Millisecond)
	proxy.Restore()
	if err := <-done; err != nil {
		t.Fatalf("Commit whose context was cancelled while it ran: %v; want it completed", err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows, %v; want the committed row", n, err)
	}
}

// The transactions of OpenDB's pools otherwise work as database/sql's
// do: a commit persists, a rollback undoes, and a context ended between
// statements rolls back.
func TestCommitAndRollbackThroughOpenDB(t *testing.T) {
	t.Parallel()
	_, dsn := synctest.MariaDB(t)
	db, err := OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	synctest.Exec(t, db, "CREATE TABLE items (id BIGINT PRIMARY KEY)")
	ctx := context.Background()
	for _, c := range []struct {
		id     int
		commit bool
	}{{1, true}, {2, false}, {3, true}} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO items VALUES (?)", c.id); err != nil {
			t.Fatal(err)
		}
		if c.commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatalf("row %d: %v", c.id, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	tx, err := db.BeginTx(cctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(cctx, "INSERT INTO items VALUES (4)"); err != nil {
		t.Fatal(err)
	}
	cancel()
	// database/sql rolls back on its own when the context ends; Commit
	// either finds that done or the context ended, never commits.
	if err := tx.Commit(); !errors.Is(err, context.Canceled) && !errors.Is(err, sql.ErrTxDone) {
		t.Fatalf("Commit after its context ended: %v; want context.Canceled or sql.ErrTxDone", err)
	}
	var got []int
	rows, err := db.QueryContext(ctx, "SELECT id FROM items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("rows %v; want [1 3] (1 and 3 committed, 2 rolled back, 4's context ended)", got)
	}
}
