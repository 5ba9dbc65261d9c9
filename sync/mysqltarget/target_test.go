package mysqltarget_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

func newTarget(t *testing.T, dsn string) (*mysqltarget.Target, func(q string, args ...any) int) {
	t.Helper()
	db := synctest.Open(t, "mysql", dsn)
	synctest.Exec(t, db, "CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20) NULL)")
	tgt, err := mysqltarget.NewTarget(context.Background(), db, mysqltarget.TargetOptions{
		Table: tables.Ident{Parts: []string{"t"}}, Columns: []string{"id", "v"}, Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Close() })
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	return tgt, count
}

// A page written under a version that a newer claim replaced is refused,
// and none of its rows stay.
func TestStaleVersionWritesNothing(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	tgt, count := newTarget(t, dsn)
	ctx := context.Background()
	old, err := tgt.Claim(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.Claim(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	pos := datasync.Position{Cursor: int64(1), Key: []any{int64(1)}}
	_, err = tgt.WritePage(ctx, old, []datasync.Row{{int64(1), "stale"}}, pos)
	if !errors.Is(err, datasync.ErrFenced) {
		t.Fatalf("stale write: err = %v, want ErrFenced", err)
	}
	if n := count("SELECT COUNT(*) FROM t"); n != 0 {
		t.Fatalf("a fenced page left %d rows", n)
	}
	if n := count("SELECT COUNT(*) FROM syncd_state WHERE table_name = 't' AND cursor_value IS NULL"); n != 1 {
		t.Fatal("a fenced page moved the cursor")
	}
}

// A lock wait timeout retries the whole page: the run waits out a lock
// another session holds for longer than innodb_lock_wait_timeout.
func TestLockWaitTimeoutRetriesThePage(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	tgt0, _ := newTarget(t, dsn)
	tgt0.Close()
	// A pool whose sessions give up on a lock after 1 s.
	db := synctest.Open(t, "mysql", dsn+"&innodb_lock_wait_timeout=1")
	tgt, err := mysqltarget.NewTarget(context.Background(), db, mysqltarget.TargetOptions{
		Table: tables.Ident{Parts: []string{"t"}}, Columns: []string{"id", "v"}, Key: []string{"id"}, Retries: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	st, err := tgt.Claim(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	locker := synctest.Open(t, "mysql", dsn)
	lock, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec("INSERT INTO t VALUES (2, 'locked')"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // held past the first attempts' timeouts
		defer wg.Done()
		time.Sleep(2500 * time.Millisecond)
		lock.Rollback() //nolint:errcheck
	}()
	rows := []datasync.Row{{int64(1), "a"}, {int64(2), "b"}, {int64(3), "c"}}
	ws, err := tgt.WritePage(context.Background(), st, rows, datasync.Position{Cursor: int64(3), Key: []any{int64(3)}})
	wg.Wait()
	if err != nil {
		t.Fatalf("page under a held lock: %v (want it retried until the lock went)", err)
	}
	if ws.Inserted != 3 {
		t.Fatalf("inserted %d, want 3", ws.Inserted)
	}
}

// EnsureSchema is idempotent, also when several processes start at once.
func TestEnsureSchemaConcurrent(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- state.New(db).Ensure(context.Background())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n, v int
	if err := db.QueryRow("SELECT COUNT(*), MAX(version) FROM syncd_schema").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != state.SchemaVersion() || v != state.SchemaVersion() {
		t.Fatalf("syncd_schema has %d rows up to version %d, want one per version up to %d", n, v, state.SchemaVersion())
	}
}
