package connect_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

func (w *verifyWorld) reconcile(t *testing.T, o datasync.ReconcileOptions) datasync.ReconcileReport {
	t.Helper()
	rep, err := connect.Reconcile(context.Background(), w.pools, w.table, o)
	if err != nil {
		t.Fatalf("reconcile: %v (%+v)", err, rep)
	}
	return rep
}

// targetSum is a fingerprint of every target row and of the table's state
// and run log, to tell that nothing was written.
func targetSum(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var rows, runs int64
	var sum, version string
	q := "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', id, name, price, ratio, ok, born, HEX(bin), ref, updated_at))), 0) FROM " + table
	if err := db.QueryRow(q).Scan(&rows, &sum); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT CONCAT(version, '/', COALESCE(cursor_value, ''), '/', pages) FROM syncd_state WHERE table_name = 'items'").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM syncd_runs").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d/%s/%s/%d", rows, sum, version, runs)
}

func count(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestReconcile: rows deleted in the source (one, a whole range, the
// first and the last key), target rows that never were in the source,
// rows missing from the target and rows changed behind the cursor are
// found; a dry run lists them and writes nothing; a reconcile deletes
// and repairs exactly them, leaves a pending change to the next run, and
// is recorded in syncd_runs.
func TestReconcile(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newVerifyWorld(t, driver, 5000)
			w.sync(t)
			synctest.Exec(t, w.src, "DELETE FROM items WHERE id IN (1, 2500, 5000) OR id BETWEEN 1000 AND 1199")
			behind := "UPDATE items SET name = 'changed behind the cursor' WHERE id IN (300, 4999)"
			pending := "UPDATE items SET name = 'pending', updated_at = TIMESTAMP '2026-06-01 00:00:00' WHERE id = 5"
			if driver == tables.DriverPostgres {
				pending = "UPDATE items SET name = 'pending', updated_at = timestamp '2026-06-01' WHERE id = 5"
			}
			synctest.Exec(t, w.src, behind, pending)
			synctest.Exec(t, w.tgt,
				"INSERT INTO items SELECT id + 20000, name, price, ratio, ok, born, bin, ref, updated_at FROM items WHERE id IN (7, 8)", // never in the source
				"DELETE FROM items WHERE id = 4321", // missing
			)
			const gone = 3 + 200 + 2

			before := targetSum(t, w.tgt, "items")
			dry := w.reconcile(t, datasync.ReconcileOptions{DryRun: true, MaxKeys: 3})
			if after := targetSum(t, w.tgt, "items"); after != before {
				t.Fatalf("a dry run changed the target or its state: %s, was %s", after, before)
			}
			if dry.Deleted != gone || dry.Repaired.Inserted != 1 || dry.Repaired.Updated != 2 || len(dry.Keys) != 6 || dry.RunID != 0 {
				t.Fatalf("dry run: %+v; want %d to delete, 1 to insert, 2 to update, 3 keys listed per action", dry, gone)
			}
			if dry.Keys[0] != (datasync.Mismatch{Key: "1", Kind: datasync.ActionDelete}) {
				t.Errorf("first key listed: %+v, want 1 to delete", dry.Keys[0])
			}

			var logged bytes.Buffer
			rep := w.reconcile(t, datasync.ReconcileOptions{Logger: zerolog.New(&logged).Level(zerolog.DebugLevel)})
			for _, want := range []string{`"action":"delete","key":"2500"`, `"action":"repair","key":"4321"`, `"message":"reconcile finished"`} {
				if !strings.Contains(logged.String(), want) {
					t.Errorf("the log does not hold %s", want)
				}
			}
			if rep.Deleted != gone || rep.Repaired.Inserted != 1 || rep.Repaired.Updated != 2 || rep.Gone != 0 {
				t.Fatalf("reconcile: %+v; want %d deleted, 1 inserted, 2 updated", rep, gone)
			}
			v := w.verify(t, 8)
			if v.Missing+v.Extra+v.Different+v.Duplicate != 0 || v.Pending != 1 || v.SourceRows != v.TargetRows {
				t.Fatalf("verify after reconcile: %+v; want no difference but the pending row", v)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'pending'"); n != 0 {
				t.Errorf("the pending change (after the cursor) was written by reconcile: it is the next run's")
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'changed behind the cursor'"); n != 2 {
				t.Errorf("%d rows changed behind the cursor repaired, want 2", n)
			}
			q := "SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'reconcile' AND status = 'ok' AND rows_deleted = 205 AND rows_inserted = 1 AND rows_updated = 2 AND id = "
			if n := count(t, w.tgt, q+strconv.FormatInt(rep.RunID, 10)); n != 1 {
				t.Errorf("syncd_runs holds no ok reconcile %d with 205 deleted, 1 inserted, 2 updated", rep.RunID)
			}
			again := w.reconcile(t, datasync.ReconcileOptions{})
			if again.Deleted+again.Repaired.Inserted+again.Repaired.Updated != 0 {
				t.Errorf("a second reconcile still acted: %+v", again)
			}
		})
	}
}

// TestReconcileNeverSynced: a table with no stored position is refused,
// and nothing in its target is touched.
func TestReconcileNeverSynced(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverMySQL, 10)
	synctest.Exec(t, w.tgt, "INSERT INTO items (id, name, updated_at) VALUES (99, 'x', NOW())")
	for _, dry := range []bool{true, false} {
		_, err := connect.Reconcile(context.Background(), w.pools, w.table, datasync.ReconcileOptions{DryRun: dry})
		if !errors.Is(err, datasync.ErrNotSynced) {
			t.Errorf("dry run %v: %v, want ErrNotSynced", dry, err)
		}
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 1 {
		t.Errorf("target has %d rows, want its 1 row untouched", n)
	}
}

// TestReconcileCompositeKey: deletes and repairs by a two-column key,
// where rows sharing the first column stay when one of them goes.
func TestReconcileCompositeKey(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newOlinesWorld(t, driver)
			w.sync(t)
			synctest.Exec(t, w.src, "DELETE FROM olines WHERE (order_id = 10 AND line_no = 2) OR order_id = 500",
				"UPDATE olines SET qty = 99 WHERE order_id = 20 AND line_no = 3")
			synctest.Exec(t, w.tgt, "INSERT INTO olines VALUES (10, 9, 1, NOW()), (5000, 1, 1, NOW())",
				"DELETE FROM olines WHERE order_id = 30 AND line_no = 1")
			rep := w.reconcile(t, datasync.ReconcileOptions{})
			if rep.Deleted != 1+3+2 || rep.Repaired.Inserted != 1 || rep.Repaired.Updated != 1 {
				t.Fatalf("%+v: want 6 deleted, 1 inserted, 1 updated", rep)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM olines WHERE order_id = 10"); n != 2 {
				t.Errorf("order 10 has %d lines, want 2 (lines 1 and 3)", n)
			}
			if v := w.verify(t, 16); !v.Equal {
				t.Errorf("verify after reconcile: %+v, want equal", v)
			}
		})
	}
}

// newOlinesWorld is a world of order lines keyed by (order_id, line_no),
// 1000 orders of 3 lines.
func newOlinesWorld(t *testing.T, driver string) *verifyWorld {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	w := &verifyWorld{tgt: synctest.Open(t, "mysql", myDSN)}
	var srcDSN string
	if driver == tables.DriverPostgres {
		srcDSN = synctest.Postgres(t)
		w.src = synctest.Open(t, "pgx", srcDSN)
		synctest.Exec(t, w.src, `CREATE TABLE olines (order_id bigint NOT NULL, line_no integer NOT NULL, qty numeric(18,3) NOT NULL,
			modified_at timestamp(6) NOT NULL, PRIMARY KEY (order_id, line_no))`,
			`INSERT INTO olines SELECT o, l, l * 1.5, localtimestamp - interval '1 hour' FROM generate_series(1, 1000) o, generate_series(1, 3) l`)
	} else {
		_, srcDSN = synctest.MariaDB(t)
		w.src = synctest.Open(t, "mysql", srcDSN)
		synctest.Exec(t, w.src, `CREATE TABLE olines (order_id BIGINT NOT NULL, line_no INT NOT NULL, qty DECIMAL(18,3) NOT NULL,
			modified_at DATETIME(6) NOT NULL, PRIMARY KEY (order_id, line_no))`,
			`INSERT INTO olines SELECT o.seq, l.seq, l.seq * 1.5, NOW(6) - INTERVAL 1 HOUR FROM seq_1_to_1000 o, seq_1_to_3 l`)
	}
	synctest.Exec(t, w.tgt, `CREATE TABLE olines (order_id BIGINT NOT NULL, line_no INT NOT NULL, qty DECIMAL(18,3) NOT NULL,
			modified_at DATETIME(6) NOT NULL, PRIMARY KEY (order_id, line_no))`)
	w.pools = connect.NewPools(&tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: driver, DSN: srcDSN}, "tgt": {Driver: tables.DriverMySQL, DSN: myDSN},
	}})
	t.Cleanup(func() { w.pools.Close() })
	w.table = tables.Table{
		Name:   "olines",
		Source: tables.Source{Connection: "src", Table: "olines", Key: []string{"order_id", "line_no"}, Cursor: "modified_at", CursorClock: tables.ClockLocal},
		Target: tables.Target{Connection: "tgt", Table: "olines"}, BatchSize: 1000, OnBadRows: tables.OnBadRowsReject,
	}
	return w
}

// TestReconcileMark: deletes: mark sets the declared column on rows gone
// from the source and leaves them in place; a second reconcile leaves
// the marks alone; a row that comes back clears its mark.
func TestReconcileMark(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverMySQL, 100)
	synctest.Exec(t, w.tgt, "ALTER TABLE items ADD COLUMN gone_at DATETIME(6) NULL")
	w.table.Deletes, w.table.Target.DeletedColumn = tables.DeletesMark, "gone_at"
	w.sync(t)
	synctest.Exec(t, w.src, "CREATE TABLE kept AS SELECT * FROM items WHERE id = 10", "DELETE FROM items WHERE id IN (10, 11)")
	rep := w.reconcile(t, datasync.ReconcileOptions{})
	if rep.Deleted != 2 || rep.Keys[0].Kind != datasync.ActionMark {
		t.Fatalf("%+v: want 2 rows marked", rep)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE gone_at > NOW() - INTERVAL 1 HOUR AND id IN (10, 11)"); n != 2 {
		t.Fatalf("%d rows marked with the time of the delete, want 2", n)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 100 {
		t.Fatalf("target has %d rows, want all 100 kept", n)
	}
	synctest.Exec(t, w.tgt, "UPDATE items SET gone_at = '2001-01-01' WHERE id = 11")
	if again := w.reconcile(t, datasync.ReconcileOptions{}); again.Deleted != 0 {
		t.Fatalf("a second reconcile marked %d rows again", again.Deleted)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE gone_at = '2001-01-01'"); n != 1 {
		t.Errorf("the mark of row 11 moved; a mark is set once")
	}
	synctest.Exec(t, w.src, "INSERT INTO items SELECT * FROM kept")
	back := w.reconcile(t, datasync.ReconcileOptions{})
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE gone_at IS NOT NULL"); n != 1 || back.Repaired.Inserted+back.Repaired.Updated+back.Repaired.Unchanged != 1 {
		t.Errorf("after row 10 came back: %+v, %d rows marked; want it repaired and unmarked, 11 still marked", back, n)
	}
}

// TestReconcileKeep: deletes: keep leaves rows gone from the source in
// the target and counts them, and still repairs the others.
func TestReconcileKeep(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverPostgres, 100)
	w.table.Deletes = tables.DeletesKeep
	w.sync(t)
	synctest.Exec(t, w.src, "DELETE FROM items WHERE id IN (10, 11)")
	synctest.Exec(t, w.tgt, "DELETE FROM items WHERE id = 50")
	rep := w.reconcile(t, datasync.ReconcileOptions{})
	if rep.Deleted != 0 || rep.Kept != 2 || rep.Repaired.Inserted != 1 {
		t.Fatalf("%+v: want 2 kept, none deleted, 1 repaired", rep)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 100 {
		t.Fatalf("target has %d rows, want 100: 98 + 2 kept", n)
	}
}

// TestReconcileFenced: a claim of the table (a run or rewind starting)
// while a reconcile deletes stops the reconcile with ErrFenced, and it
// writes nothing after the claim.
func TestReconcileFenced(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverMySQL, 100)
	w.table.BatchSize = 10
	w.sync(t)
	synctest.Exec(t, w.src, "DELETE FROM items WHERE id BETWEEN 31 AND 60", "UPDATE items SET name = 'x' WHERE id = 90")
	ctx := context.Background()
	other, err := connect.Open(ctx, w.pools, w.table)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	claim := func(batch int) error {
		if batch == 1 {
			_, err := other.Target.Claim(ctx, w.table.Name)
			return err
		}
		return nil
	}
	rep, err := connect.Reconcile(ctx, w.pools, w.table, datasync.ReconcileOptions{AfterBatch: claim})
	if !datasync.IsFenced(err) {
		t.Fatalf("reconcile: %v (%+v), want ErrFenced", err, rep)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 90 || rep.Deleted != 10 {
		t.Fatalf("target has %d rows, %d deleted; want 90: one batch of 10 deleted before the claim, none after", n, rep.Deleted)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'x'"); n != 0 {
		t.Errorf("row 90 was repaired after the claim")
	}
	q := "SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'reconcile' AND status = 'failed' AND rows_deleted = 10"
	if n := count(t, w.tgt, q); n != 1 {
		t.Errorf("syncd_runs holds no failed reconcile with 10 rows deleted")
	}
}

// TestReconcileFencesRun: a reconcile that starts while a run is between
// pages takes the table over; the run stops at its next page.
func TestReconcileFencesRun(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverPostgres, 3000)
	ctx := context.Background()
	job, err := connect.Open(ctx, w.pools, w.table)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	var rep datasync.ReconcileReport
	var rerr error
	_, err = job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, AfterPage: func(page int) error {
		if page == 1 {
			synctest.Exec(t, w.tgt, "INSERT INTO items (id, name, updated_at) VALUES (-1, 'never in the source', NOW())")
			rep, rerr = connect.Reconcile(ctx, w.pools, w.table, datasync.ReconcileOptions{})
		}
		return nil
	}})
	if rerr != nil || rep.Deleted != 1 {
		t.Fatalf("reconcile between pages: %v, %+v; want the row -1 deleted", rerr, rep)
	}
	if !datasync.IsFenced(err) {
		t.Fatalf("run: %v, want ErrFenced after the reconcile's claim", err)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 1000 {
		t.Errorf("target has %d rows, want the first page's 1000", n)
	}
}

// TestReconcileRejects: a row repaired by reconcile that the target
// refuses is kept in syncd_rejects, as a run keeps it, and the others
// are written.
func TestReconcileRejects(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverPostgres, 100)
	w.sync(t)
	synctest.Exec(t, w.src, "UPDATE items SET name = repeat('x', 150) WHERE id = 20", "UPDATE items SET name = 'fine' WHERE id = 21")
	rep := w.reconcile(t, datasync.ReconcileOptions{})
	if rep.Repaired.Rejected != 1 || rep.Repaired.Updated != 1 {
		t.Fatalf("%+v: want 1 rejected, 1 updated", rep)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items' AND run_id = "+strconv.FormatInt(rep.RunID, 10)); n != 1 {
		t.Errorf("syncd_rejects holds %d rows of the reconcile, want 1", n)
	}
}

// TestReconcileMarkColumnChecked: deletes: mark with a column the target
// lacks, or one a source column feeds, is a declaration error, and
// nothing is written.
func TestReconcileMarkColumnChecked(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverMySQL, 10)
	w.sync(t)
	synctest.Exec(t, w.src, "DELETE FROM items WHERE id = 3")
	w.table.Deletes = tables.DeletesMark
	for _, col := range []string{"gone_at", "name"} {
		w.table.Target.DeletedColumn = col
		_, err := connect.Reconcile(context.Background(), w.pools, w.table, datasync.ReconcileOptions{})
		if !errors.Is(err, datasync.ErrDeclaration) || !strings.Contains(err.Error(), "target.deleted_column: "+col) {
			t.Errorf("deleted_column %s: %v, want a declaration error naming it", col, err)
		}
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 10 {
		t.Errorf("target has %d rows, want 10", n)
	}
}

// TestVerifyLeavesMarkedRowsOut: after a reconcile marked rows gone from
// the source (deletes: mark), verify leaves the marked target rows out of
// the comparison, calls the table equal and counts the rows it left out.
func TestVerifyLeavesMarkedRowsOut(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverMySQL, 100)
	synctest.Exec(t, w.tgt, "ALTER TABLE items ADD COLUMN gone_at DATETIME(6) NULL")
	w.table.Deletes, w.table.Target.DeletedColumn = tables.DeletesMark, "gone_at"
	w.sync(t)
	synctest.Exec(t, w.src, "DELETE FROM items WHERE id IN (10, 11, 12)")
	if rep := w.reconcile(t, datasync.ReconcileOptions{}); rep.Deleted != 3 {
		t.Fatalf("%+v: want 3 rows marked", rep)
	}
	rep, err := connect.Verify(context.Background(), w.pools, w.table, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Equal || rep.Extra != 0 || rep.TargetRows != 97 || rep.Marked != 3 {
		t.Fatalf("%+v: want equal, 97 target rows compared, 3 marked rows left out", rep)
	}
}

// TestReconcileHalfOpenTimesOut: a connection that stops answering
// without closing (half-open) fails a reconcile after page_timeout, in a
// range read of the comparison, in a repair batch (source) and in a
// delete batch (target), instead of holding the table until the run's
// timeout; with the target still answering, the run log shows the
// failure.
func TestReconcileHalfOpenTimesOut(t *testing.T) {
	for _, at := range []string{"range read", "repair batch", "delete batch"} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			w := newVerifyWorld(t, tables.DriverMySQL, 100)
			proxy := synctest.NewProxy(t, "127.0.0.1:3306")
			defer proxy.Restore()
			side := "src"
			if at == "delete batch" {
				side = "tgt"
			}
			conns := map[string]tables.Connection{"src": w.cfg.Connections["src"], "tgt": w.cfg.Connections["tgt"]}
			c := conns[side]
			c.DSN = strings.Replace(c.DSN, "127.0.0.1:3306", proxy.Addr(), 1)
			conns[side] = c
			w.pools = connect.NewPools(&tables.Config{Connections: conns})
			t.Cleanup(func() { w.pools.Close() })
			w.table.BatchSize, w.table.PageTimeout = 5, time.Second
			w.sync(t)
			synctest.Exec(t, w.src, "DELETE FROM items WHERE id BETWEEN 10 AND 20")
			synctest.Exec(t, w.tgt, "UPDATE items SET name = 'changed' WHERE id BETWEEN 30 AND 40")
			stall := func(int) error { proxy.Stall(); return nil }
			o := datasync.ReconcileOptions{BeforePass: stall}
			if at != "range read" {
				o = datasync.ReconcileOptions{AfterBatch: stall}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			start := time.Now()
			rep, err := connect.Reconcile(ctx, w.pools, w.table, o)
			if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "page_timeout 1s") || took > 20*time.Second {
				t.Fatalf("reconcile with %s stalled at its %s: %v after %v (%+v); want it failed naming page_timeout 1s within 20s", side, at, err, took, rep)
			}
			if side == "tgt" {
				return // the end of the run cannot be recorded through the stalled target
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'reconcile' AND status = 'failed' AND error LIKE '%page_timeout 1s%'"); n != 1 {
				t.Errorf("%d failed reconciles naming page_timeout in syncd_runs, want 1", n)
			}
		})
	}
}
