package connect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// TestLookbackTellsLateFromSetBack: the lookback counts a row late only
// where a late commit could have left it so; a row whose cursor went
// back (newer in the target), or whose value is older than any commit at
// most lookback late could carry, is set back, and a row missing with
// such a value is not late either. Settle 10s and lookback 20s from a
// position at 00:00:04: a late commit found now carries a value after
// 23:59:54 of the day before (the run that stored the position read at
// 00:00:14 at the earliest).
func TestLookbackTellsLateFromSetBack(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL, tables.DriverSQLServer} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newSoftWorld(t, driver)
			w.tbl.Lookback, w.tbl.Settle, w.tbl.BatchSize = 20*time.Second, 10*time.Second, 3
			if rec, err := runOnce(t, w.p, w.tbl); err != nil || rec.Inserted != 6 {
				t.Fatalf("first run: %+v, %v", rec, err)
			}
			src := w.tbl.Source.Table
			synctest.Exec(t, w.src,
				"UPDATE "+src+" SET name = 'set back', updated_at = '2026-01-01 00:00:02' WHERE a = 3 AND b = 'b'",
				"UPDATE "+src+" SET name = 'late or backdated', updated_at = '2026-01-01 00:00:03' WHERE a = 1 AND b = 'a'",
				"UPDATE "+src+" SET name = 'backdated', updated_at = '2025-12-31 23:59:50' WHERE a = 2 AND b = 'a'",
				"INSERT INTO "+src+" (a, b, name, is_deleted, updated_at) VALUES (6, 'a', 'inserted backdated', 0, '2025-12-31 23:59:50')")
			synctest.Exec(t, w.tgt, "UPDATE sd SET updated_at = '2025-12-31 23:59:45' WHERE a = 2 AND b = 'a'",
				"DELETE FROM sd WHERE a = 2 AND b = 'b'")
			rec, err := runOnce(t, w.p, w.tbl)
			if err != nil || rec.Late != 2 || rec.SetBack != 2 || rec.Lost != 1 || rec.Inserted != 2 || rec.Updated != 3 {
				t.Fatalf("run: %+v, %v; want late (1, a) (older in the target) and (2, b) (missing), set back (3, b) (newer "+
					"in the target) and (2, a) (older than a late commit), lost (6, a) (missing, older than a late commit)", rec, err)
			}
			if !strings.Contains(rec.Notes, "2 rows set back") || !strings.Contains(rec.Notes, "1 rows the target had lost") {
				t.Errorf("notes %q; want the set-back and lost rows named", rec.Notes)
			}
			if n := count(t, w.tgt, "SELECT rows_late FROM syncd_runs WHERE id = (SELECT MAX(id) FROM syncd_runs)"); n != 2 {
				t.Errorf("syncd_runs.rows_late = %d, want 2", n)
			}
		})
	}
}

// TestLookbackEmptiedTarget: a target emptied by hand lacks the row at
// the stored position, which syncd wrote with the position and no late
// commit removes: the rows the next run writes again behind the cursor
// are counted lost, not late, and the advice is not to raise settle.
func TestLookbackEmptiedTarget(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL, tables.DriverSQLServer} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newSoftWorld(t, driver)
			w.tbl.Lookback, w.tbl.BatchSize = 10*time.Second, 3
			synctest.Exec(t, w.src, "INSERT INTO "+w.tbl.Source.Table+" (a, b, name, is_deleted, updated_at) VALUES (5, 'a', 'five', 0, '2026-01-01 00:00:05')")
			if rec, err := runOnce(t, w.p, w.tbl); err != nil || rec.Inserted != 7 {
				t.Fatalf("first run: %+v, %v", rec, err)
			}
			synctest.Exec(t, w.tgt, "DELETE FROM sd")
			rec, err := runOnce(t, w.p, w.tbl)
			if err != nil || rec.Lost != 7 || rec.Late != 0 || rec.Inserted != 7 {
				t.Fatalf("run after the target was emptied: %+v, %v; want the 7 rows written again, counted lost, none late", rec, err)
			}
			if n := count(t, w.tgt, "SELECT late_rows FROM syncd_state WHERE table_name = 'sd'"); n != 0 {
				t.Errorf("syncd_state.late_rows = %d, want 0", n)
			}
		})
	}
}

// TestLookbackKeptSetupJudgesByItsLastRun: a kept setup knows the source
// clock of its last run, which had read and compared everything up to
// the position it ended at, so a row found older in the target whose
// value is more than lookback behind that clock is set back; a setup
// opened afresh only knows the stored position (plus settle), and counts
// the same row late.
func TestLookbackKeptSetupJudgesByItsLastRun(t *testing.T) {
	t.Parallel()
	srcDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src, tgt := synctest.Open(t, "pgx", srcDSN), synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, src, `CREATE TABLE kept (id int PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX ix_kept_sync ON kept (updated_at, id)`,
		`INSERT INTO kept SELECT i, 'row ' || i, localtimestamp(6) - interval '20 seconds' FROM generate_series(1, 3) i`)
	p := pools(t, tables.DriverPostgres, srcDSN, myDSN)
	tbl := createdTable("kept", "kept", "id", "updated_at")
	tbl.Settle, tbl.Lookback, tbl.BatchSize = time.Second, time.Minute, 100
	ctx := context.Background()
	run := func(job *Job) datasync.RunRecord {
		rec, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		return rec
	}
	// Row 1 older in the target, row 2 (a control) likewise, both moved to
	// 70 s ago in the source: behind the kept run's clock by more than
	// lookback, within lookback of the stored position plus settle.
	backdate := func(id string) {
		synctest.Exec(t, tgt, "UPDATE kept SET updated_at = updated_at - INTERVAL 55 SECOND WHERE id = "+id)
		synctest.Exec(t, src, "UPDATE kept SET name = 'backdated', updated_at = updated_at - interval '50 seconds' WHERE id = "+id)
	}
	job, err := Open(ctx, p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	if rec := run(job); rec.Inserted != 3 {
		t.Fatalf("first run: %+v", rec)
	}
	backdate("1")
	if rec := run(job); rec.SetBack != 1 || rec.Late != 0 || rec.Updated != 1 {
		t.Fatalf("kept setup: %+v; want row 1 written again, counted set back", rec)
	}
	backdate("2")
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Late != 1 || rec.SetBack != 0 {
		t.Fatalf("fresh setup: %+v, %v; want row 2 counted late (no clock of a run known)", rec, err)
	}
}
