package connect

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// TestLateCommit: a source transaction holds a row stamped T open longer
// than settle while a run passes T; then it commits. With lookback 0 the
// row is lost for good (the next run reads after the cursor only); with
// a lookback the next run writes it and counts one late row, and the run
// after finds nothing and writes nothing.
func TestLateCommit(t *testing.T) {
	for _, lookback := range []time.Duration{0, 10 * time.Second} {
		t.Run("lookback "+lookback.String(), func(t *testing.T) {
			t.Parallel()
			srcDSN := synctest.Postgres(t)
			_, myDSN := synctest.MariaDB(t)
			src, tgt := synctest.Open(t, "pgx", srcDSN), synctest.Open(t, "mysql", myDSN)
			synctest.Exec(t, src, `CREATE TABLE late (id int PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL)`,
				`CREATE INDEX ix_late_sync ON late (updated_at, id)`,
				`INSERT INTO late VALUES (1, 'old', clock_timestamp()::timestamp(6) - interval '20 seconds')`)
			p := pools(t, tables.DriverPostgres, srcDSN, myDSN)
			tbl := createdTable("late", "late", "id", "updated_at")
			tbl.Settle, tbl.Lookback, tbl.BatchSize, tbl.OnBadRows = time.Second, lookback, 100, tables.OnBadRowsFail
			if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 1 {
				t.Fatalf("first run: %+v, %v", rec, err)
			}
			ctx := context.Background()
			tx, err := src.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() //nolint:errcheck // committed below
			if _, err := tx.ExecContext(ctx, "INSERT INTO late VALUES (2, 'late', clock_timestamp()::timestamp(6))"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			synctest.Exec(t, src, "INSERT INTO late VALUES (3, 'on time', clock_timestamp()::timestamp(6))")
			time.Sleep(1500 * time.Millisecond) // past settle: the run reads row 3
			if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 1 || rec.Late != 0 {
				t.Fatalf("run passing the open row: %+v, %v; want row 3 only", rec, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			rec, err := runOnce(t, p, tbl)
			late := count(t, tgt, "SELECT COUNT(*) FROM late WHERE id = 2")
			if lookback == 0 {
				if err != nil || rec.Read != 0 || late != 0 {
					t.Fatalf("without lookback: %+v, %v, row 2 in the target: %d; want it lost (read 0, not in the target)", rec, err, late)
				}
				return
			}
			if err != nil || rec.Late != 1 || rec.Inserted != 1 || late != 1 {
				t.Fatalf("run after the late commit: %+v, %v, row 2 in the target: %d; want it written, 1 late row", rec, err, late)
			}
			if n := count(t, tgt, "SELECT rows_late FROM syncd_runs WHERE id = (SELECT MAX(id) FROM syncd_runs)"); n != 1 {
				t.Errorf("syncd_runs.rows_late = %d, want 1", n)
			}
			checkLateRead(t, tgt, 1)
			if rec, err := runOnce(t, p, tbl); err != nil || rec.Late != 0 || rec.Pages != 0 || rec.Read != 0 {
				t.Fatalf("run after the repair: %+v, %v; want nothing found, nothing written", rec, err)
			}
		})
	}
}

// TestLookbackCursorBack: a row whose cursor was set back inside the
// window (behind the stored cursor) is written again by the next run and
// counted set back, on every source; a row set back before the window is
// not (it is for reconcile).
func TestLookbackCursorBack(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL, tables.DriverSQLServer} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newSoftWorld(t, driver)
			w.tbl.Lookback, w.tbl.BatchSize = 5*time.Second, 3
			if rec, err := runOnce(t, w.p, w.tbl); err != nil || rec.Inserted != 6 {
				t.Fatalf("first run: %+v, %v", rec, err)
			}
			// The cursor is at 00:00:04 (the deleted row 4): 00:00:02 is
			// inside the 5s window, 2025 far before it.
			synctest.Exec(t, w.src,
				"UPDATE "+w.tbl.Source.Table+" SET name = 'set back', updated_at = '2026-01-01 00:00:02' WHERE a = 3 AND b = 'b'",
				"UPDATE "+w.tbl.Source.Table+" SET name = 'far back', updated_at = '2025-01-01 00:00:00' WHERE a = 1 AND b = 'b'",
				"UPDATE "+w.tbl.Source.Table+" SET is_deleted = 1, updated_at = '2026-01-01 00:00:01' WHERE a = 3 AND b = 'a'")
			synctest.Exec(t, w.tgt, "DELETE FROM sd WHERE a = 2 AND b = 'b'")
			rec, err := runOnce(t, w.p, w.tbl)
			// (3, b) and (3, a) have a newer cursor value in the target: set
			// back, not late; (2, b) is missing, as a late commit leaves it.
			if err != nil || rec.Late != 1 || rec.SetBack != 2 || rec.Updated != 1 || rec.Inserted != 1 || rec.Deleted != 1 {
				t.Fatalf("run: %+v, %v; want (3, b) updated, (2, b) inserted, (3, a) deleted: 1 late row, 2 set back", rec, err)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM sd WHERE a = 3 AND b = 'a'"); n != 0 {
				t.Errorf("the row soft-deleted behind the cursor is still in the target")
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM sd WHERE name IN ('set back', 'two b')"); n != 2 {
				t.Errorf("%d of the 2 late rows in the target", n)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM sd WHERE name = 'far back'"); n != 0 {
				t.Errorf("the row set back before the window was written")
			}
			if rec, err := runOnce(t, w.p, w.tbl); err != nil || rec.Late != 0 || rec.Pages != 0 {
				t.Fatalf("next run: %+v, %v; want nothing late, nothing written", rec, err)
			}
			w.checkSettled(t)
		})
	}
}

// checkSettled: the source's clock is long past the window (its rows are
// of January 2026), so a comparison that found it equal settled it: a
// kept setup's later runs do not compare it again, and a row set back
// into it is left to reconcile, which finds it.
func (w *softWorld) checkSettled(t *testing.T) {
	ctx := context.Background()
	job, err := Open(ctx, w.p, w.tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	for i, want := range []int64{0, 0} {
		if i == 1 {
			synctest.Exec(t, w.src, "UPDATE "+w.tbl.Source.Table+" SET name = 'into a settled window', updated_at = '2026-01-01 00:00:03' WHERE a = 1 AND b = 'a'")
		}
		if rec, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.Nop()}); err != nil || rec.Late != want {
			t.Fatalf("run %d of a kept setup: %+v, %v", i+1, rec, err)
		}
	}
	rep, err := Reconcile(ctx, w.p, w.tbl, datasync.ReconcileOptions{})
	if err != nil || rep.Repaired.Updated != 2 {
		t.Fatalf("reconcile: %+v, %v; want the 2 rows set back (into the settled window, before the window) written again", rep, err)
	}
}

// TestLookbackFolds: a scheduled run of a kept setup that finds nothing,
// behind the cursor included, is folded into syncd_state; one whose
// lookback finds a late row is not: it is claimed, writes the row and is
// recorded with it. The rows are stamped a moment ago, so that the window
// is not settled yet (see settled).
func TestLookbackFolds(t *testing.T) {
	srcDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src, tgt := synctest.Open(t, "pgx", srcDSN), synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, src, `CREATE TABLE late (id int PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL)`,
		`INSERT INTO late SELECT i, 'row ' || i, clock_timestamp()::timestamp(6) - interval '2 seconds' FROM generate_series(1, 5) i`)
	p := pools(t, tables.DriverPostgres, srcDSN, myDSN)
	tbl := createdTable("late", "late", "id", "updated_at")
	tbl.Settle, tbl.Lookback, tbl.BatchSize = time.Second, time.Minute, 100
	ctx := context.Background()
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 5 {
		t.Fatalf("first run: %+v, %v", rec, err)
	}
	job, err := Open(ctx, p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	scheduled := func() datasync.RunRecord {
		rec, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerSchedule, Cached: true, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatalf("scheduled run: %v", err)
		}
		return rec
	}
	runs := func() int { return count(t, tgt, "SELECT COUNT(*) FROM syncd_runs") }
	before := runs()
	if rec := scheduled(); rec.ID != 0 || runs() != before || count(t, tgt, "SELECT empty_runs FROM syncd_state") != 1 {
		t.Fatalf("quiet run: %+v; want it folded (no run row, empty_runs 1)", rec)
	}
	// A row committed now, stamped behind the cursor: a late commit.
	synctest.Exec(t, src, "INSERT INTO late SELECT 6, 'late', MIN(updated_at) FROM late")
	if rec := scheduled(); rec.ID == 0 || rec.Late != 1 || runs() != before+1 {
		t.Fatalf("run with a late row: %+v; want it recorded with 1 late row", rec)
	}
	if rec := scheduled(); rec.ID != 0 || count(t, tgt, "SELECT empty_runs FROM syncd_state") != 2 {
		t.Fatalf("quiet run after the repair: %+v; want it folded", rec)
	}
}

// TestLookbackLeavesPendingRows: after a run stopped between two rows of
// one cursor value, the rows after the stored key are not late: the next
// run reads them forward and counts none late. The lookback runs after
// the forward pages, which have written those rows by then; so, to see
// what the lookback compares, the row right after the stored key, (2, b),
// is taken out of the target once the next run's first page is
// committed. The window ends at the stored (cursor, key): (2, b) is
// outside it and stays out, and nothing is counted late.
func TestLookbackLeavesPendingRows(t *testing.T) {
	w := newSoftWorld(t, tables.DriverMySQL)
	w.tbl.Lookback, w.tbl.BatchSize = 5*time.Second, 3
	ctx := context.Background()
	job, err := Open(ctx, w.p, w.tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	stop := func(page int) error { return context.Canceled }
	// Page 1 ends at (2, a), before (2, b) of the same cursor value.
	if _, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.Nop(), AfterPage: stop}); err == nil {
		t.Fatal("the run did not stop after its first page")
	}
	probe := func(page int) error {
		if page == 1 {
			_, err := w.tgt.Exec("DELETE FROM sd WHERE a = 2 AND b = 'b'")
			return err
		}
		return nil
	}
	rec, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.Nop(), AfterPage: probe})
	if err != nil || rec.Late != 0 || rec.Inserted != 3 {
		t.Fatalf("second run: %+v, %v; want the 3 rows after the stop inserted once, none late", rec, err)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM sd"); n != 5 || count(t, w.tgt, "SELECT COUNT(*) FROM sd WHERE a = 2 AND b = 'b'") != 0 {
		t.Fatalf("target holds %d rows; want 5, (2, b) not written again by the lookback (it is after the stored key)", n)
	}
}

// checkLateRead: both readers of status (one table, every table) see n
// late rows, the last of them just now.
func checkLateRead(t *testing.T, db *sql.DB, n int64) {
	t.Helper()
	ctx := context.Background()
	store := state.New(db)
	l, err := store.ReadLate(ctx, "late")
	if err != nil || l.Rows != n || l.Last == nil || time.Since(*l.Last) > time.Hour {
		t.Errorf("ReadLate: %+v, %v; want %d late rows, the last just now", l, err, n)
	}
	sums, err := store.Summaries(ctx)
	if err != nil || sums["late"] == nil || sums["late"].Late.Rows != n {
		t.Errorf("Summaries: %v; want %d late rows", err, n)
	}
	runs, err := store.ListRuns(ctx, state.RunFilter{Table: "late", Limit: 1})
	if err != nil || len(runs) != 1 || runs[0].Late != n {
		t.Errorf("ListRuns: %+v, %v; want the newest run with %d late rows", runs, err, n)
	}
}

// The lookback looks a one-column key up in the target with an IN list
// of parameters, never of values written into the SQL: text keys that
// would break or change a statement they were pasted into are compared
// and repaired like any other.
func TestLookbackTextKeysTravelAsParameters(t *testing.T) {
	t.Parallel()
	srcDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src, tgt := synctest.Open(t, "pgx", srcDSN), synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, src, `CREATE TABLE odd (code text PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX ix_odd_sync ON odd (updated_at, code)`,
		`INSERT INTO odd VALUES ('O''Brien', 'a', '2026-01-01 00:00:01'), ('x") OR 1=1 -- ', 'b', '2026-01-01 00:00:02'),
			('back\slash', 'c', '2026-01-01 00:00:03'), ('plain', 'd', '2026-01-01 00:00:04')`)
	p := pools(t, tables.DriverPostgres, srcDSN, myDSN)
	tbl := createdTable("odd", "odd", "code", "updated_at")
	tbl.Lookback, tbl.BatchSize, tbl.OnBadRows = 10*time.Second, 100, tables.OnBadRowsFail
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 4 {
		t.Fatalf("first run: %+v, %v", rec, err)
	}
	// Behind the cursor, inside the window: one row gone from the target,
	// one whose cursor was set back with a new name.
	synctest.Exec(t, tgt, `DELETE FROM odd WHERE code = 'O''Brien'`)
	synctest.Exec(t, src, `UPDATE odd SET name = 'set back', updated_at = '2026-01-01 00:00:01.5' WHERE code = 'x") OR 1=1 -- '`)
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Late != 1 || rec.SetBack != 1 || rec.Inserted != 1 || rec.Updated != 1 {
		t.Fatalf("run: %+v, %v; want O'Brien inserted (late) and the set-back row updated (set back)", rec, err)
	}
	if n := count(t, tgt, `SELECT COUNT(*) FROM odd WHERE code = 'O''Brien' OR (code = 'x") OR 1=1 -- ' AND name = 'set back')`); n != 2 {
		t.Fatalf("%d of the 2 late rows in the target", n)
	}
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Late != 0 || rec.Pages != 0 {
		t.Fatalf("next run: %+v, %v; want nothing late", rec, err)
	}
}
