package mysqltarget

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/synctest"
)

// A page's transaction whose context is cancelled just before its COMMIT
// (a worker's cancel racing the page's end) was rolled back by
// database/sql; the write reports the cancel, not "transaction has
// already been committed or rolled back", so the run records why it
// stopped and the handler sees a cancel. The race is taken on its losing
// side every time: the commit waits until database/sql has ended the
// transaction.
func TestCommitAfterCancelReportsTheCancel(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db, err := mysql.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	synctest.Exec(t, db, "CREATE TABLE c (id INT PRIMARY KEY)")
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO c VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	cancel()
	synctest.Eventually(t, "database/sql ended the cancelled transaction", func() (bool, string) {
		_, err := tx.Exec("SELECT 1")
		return errors.Is(err, sql.ErrTxDone), "still open"
	})
	if err := commit(ctx, tx); !errors.Is(err, context.Canceled) {
		t.Fatalf("commit after the cancel: %v; want context canceled", err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM c").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows (%v); want the page rolled back", n, err)
	}
}
