package connect

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A part stopped between pages (its worker gone) is taken again, by a
// retry after its lease expired, from its last key: the rows already
// written are not read again, none is skipped, and every try is a line
// of the run log.
func TestSnapshotPartResumes(t *testing.T) {
	w := newSnapWorld(t, tables.DriverPostgres, 2000, 2)
	snap := w.start(t)
	var read int64
	for try := 1; try <= 3; try++ {
		rec, err := w.part(t, snap.Generation, 0, 2)
		if !errors.Is(err, errKilled) || rec.Pages != 2 {
			t.Fatalf("try %d: %+v, %v; want 2 pages, then stopped", try, rec, err)
		}
		read += rec.Read
		_, parts := w.read(t)
		if parts[0].Rows != read || parts[0].Done {
			t.Fatalf("try %d: part 1 has %d rows written, done %v; want %d, not done", try, parts[0].Rows, parts[0].Done, read)
		}
	}
	rec, err := w.part(t, snap.Generation, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if read+rec.Read != 1000 {
		t.Errorf("part 1 read %d rows over its tries; want 1000, each once", read+rec.Read)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'snapshot'"); n != 4 {
		t.Errorf("%d snapshot runs in the run log; want 4", n)
	}
	w.finish(t, snap.Generation)
	w.wantEqual(t)
}

// Two workers on one part: the later claim fences the earlier one, which
// writes nothing more, neither a page nor the part's end; the later one
// loads the part. A claim of a done part reads nothing.
func TestSnapshotPartFenced(t *testing.T) {
	w := newSnapWorld(t, tables.DriverMySQL, 1000, 2)
	snap := w.start(t)
	ctx := context.Background()
	job := w.job(t)
	old, err := job.Target.ClaimPart(ctx, w.tbl.Name, snap.Generation, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.part(t, snap.Generation, 0, 0); err != nil {
		t.Fatal(err)
	}
	before := count(t, w.tgt, "SELECT COUNT(*) FROM items")
	row := datasync.Row{int64(1), "stale", time.Now().UTC().Truncate(time.Second)}
	if _, err := job.Target.WritePart(ctx, old, []datasync.Row{row}, []any{int64(1)}, false); !datasync.IsFenced(err) {
		t.Errorf("a page of the fenced claim: %v; want ErrFenced", err)
	}
	if _, err := job.Target.FinishPart(ctx, old); !datasync.IsFenced(err) {
		t.Errorf("the fenced claim's finish: %v; want ErrFenced", err)
	}
	if after := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'stale'"); after != 0 || count(t, w.tgt, "SELECT COUNT(*) FROM items") != before {
		t.Errorf("the fenced claim wrote rows")
	}
	if rec, err := w.part(t, snap.Generation, 0, 0); err != nil || rec.Read != 0 || rec.ID != 0 {
		t.Errorf("a claim of a done part: %+v, %v; want nothing read, no run", rec, err)
	}
	w.finish(t, snap.Generation)
	w.wantEqual(t)
}

// Two workers run one part at once: each page is written by whichever
// holds the part's latest claim; the target ends equal and the part's
// rows are counted once in its progress.
func TestSnapshotPartTwoWorkersAtOnce(t *testing.T) {
	w := newSnapWorld(t, tables.DriverPostgres, 3000, 1)
	snap := w.start(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := w.part(t, snap.Generation, 0, 0)
			errs <- err
		}()
	}
	fenced := 0
	for range 2 {
		if err := <-errs; datasync.IsFenced(err) {
			fenced++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	got, parts := w.read(t)
	if !got.Done || parts[0].Rows != 3000 {
		t.Errorf("snapshot %+v, part rows %d; want done with 3000 rows", got, parts[0].Rows)
	}
	t.Logf("%d of the 2 workers fenced", fenced)
	w.finish(t, snap.Generation)
	w.wantEqual(t)
}

// The source changes while the snapshot runs: updates of rows already
// written and of rows not yet read, rows deleted from one part's range
// and inserted into another's and past the last key. The parts, the run
// after them and a reconcile (for the deletes, which no cursor sees) end
// equal with nothing pending.
func TestSnapshotSourceChanges(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newSnapWorld(t, driver, 4000, 4)
			w.tbl.Deletes = tables.DeletesDelete
			snap := w.start(t)
			if _, err := w.part(t, snap.Generation, 0, 3); !errors.Is(err, errKilled) {
				t.Fatal(err)
			}
			if _, err := w.part(t, snap.Generation, 2, 0); err != nil {
				t.Fatal(err)
			}
			synctest.Exec(t, w.src,
				"UPDATE items SET name = 'moved on', updated_at = "+w.now()+" WHERE id IN (5, 150, 2100, 2999, 3500)", // written, and not yet
				"DELETE FROM items WHERE id BETWEEN 1200 AND 1210",                                                    // part 2, not yet read
				"DELETE FROM items WHERE id BETWEEN 2200 AND 2205",                                                    // part 3, written
				// Rows that leave one range and come back in another: key 1205 in part 3's range (2203), and past the end.
				"INSERT INTO items (id, name, updated_at) VALUES (2203, 'from part 2', "+w.now()+"), (9000, 'past the end', "+w.now()+")",
			)
			w.finish(t, snap.Generation)
			rep, err := Reconcile(context.Background(), w.p, w.tbl, datasync.ReconcileOptions{Logger: zerolog.Nop()})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("reconcile: %+v", rep)
			w.wantEqual(t)
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE name = 'moved on'"); n != 5 {
				t.Errorf("%d rows updated during the snapshot in the target; want 5", n)
			}
		})
	}
}

// --full while parts run gives the snapshot up: its parts are fenced
// (claims and pages), reconcile refuses while the new one runs, and the
// new generation loads the table.
func TestSnapshotFullWhileRunning(t *testing.T) {
	w := newSnapWorld(t, tables.DriverMySQL, 2000, 3)
	old := w.start(t)
	if _, err := w.part(t, old.Generation, 1, 2); !errors.Is(err, errKilled) {
		t.Fatal(err)
	}
	ctx := context.Background()
	stale, err := w.job(t).Target.ClaimPart(ctx, w.tbl.Name, old.Generation, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reconcile(ctx, w.p, w.tbl, datasync.ReconcileOptions{Logger: zerolog.Nop()}); !errors.Is(err, datasync.ErrSnapshotRunning) {
		t.Errorf("reconcile during a snapshot: %v; want ErrSnapshotRunning", err)
	}
	if err := state.New(w.tgt).RewindFull(ctx, w.tbl.Name); err != nil {
		t.Fatal(err)
	}
	row := datasync.Row{int64(1), "stale", time.Now().UTC().Truncate(time.Second)}
	// Given up, before the next snapshot begins: the old parts are fenced.
	if _, err := w.job(t).Target.WritePart(ctx, stale, []datasync.Row{row}, []any{int64(1)}, false); !datasync.IsFenced(err) {
		t.Errorf("a page of the given-up snapshot: %v; want ErrFenced", err)
	}
	if _, err := w.job(t).Target.FinishPart(ctx, stale); !datasync.IsFenced(err) {
		t.Errorf("the end of a part of the given-up snapshot: %v; want ErrFenced", err)
	}
	fresh := w.start(t)
	if fresh.Generation != old.Generation+1 {
		t.Fatalf("generation %d after --full; want %d", fresh.Generation, old.Generation+1)
	}
	if _, err := w.part(t, old.Generation, 1, 0); !datasync.IsFenced(err) {
		t.Errorf("a part of the old generation: %v; want ErrFenced", err)
	}
	if _, err := w.job(t).Target.WritePart(ctx, stale, []datasync.Row{row}, []any{int64(1)}, false); !datasync.IsFenced(err) {
		t.Errorf("a page of the old generation: %v; want ErrFenced", err)
	}
	w.finish(t, fresh.Generation)
	w.wantEqual(t)
	if got, _ := w.read(t); !got.Done || got.Generation != fresh.Generation {
		t.Errorf("snapshot %+v; want generation %d done", got, fresh.Generation)
	}
}

// An ordinary run that claimed the table before its snapshot began is
// fenced at its next page: beginning a snapshot raises the table's
// fencing version.
func TestSnapshotFencesAnOlderRun(t *testing.T) {
	w := newSnapWorld(t, tables.DriverMySQL, 500, 2)
	ctx := context.Background()
	job := w.job(t)
	st, err := job.Target.Claim(ctx, w.tbl.Name)
	if err != nil {
		t.Fatal(err)
	}
	snap := w.start(t)
	row := datasync.Row{int64(1), "stale", time.Now().UTC().Truncate(time.Second)}
	if _, err := job.Target.WritePage(ctx, st, []datasync.Row{row}, datasync.Position{Cursor: row[2], Key: []any{int64(1)}}); !datasync.IsFenced(err) {
		t.Errorf("a page of the run claimed before the snapshot: %v; want ErrFenced", err)
	}
	if !w.cursor(t).IsZero() {
		t.Errorf("cursor %v; want none while the snapshot runs", w.cursor(t))
	}
	w.finish(t, snap.Generation)
	w.wantEqual(t)
}
