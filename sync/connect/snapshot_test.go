package connect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// snapWorld is a source table of rows (id, name, updated_at), its target
// and its declaration, with snapshot.parts set.
type snapWorld struct {
	p        *Pools
	tbl      tables.Table
	src, tgt *sql.DB
	driver   string
}

// newSnapWorld makes n rows in a PostgreSQL or MariaDB source, whose
// cursor values are in the past (before any snapshot's bound).
func newSnapWorld(t *testing.T, driver string, n, parts int) *snapWorld {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	w := &snapWorld{tgt: synctest.Open(t, "mysql", myDSN), driver: driver}
	var srcDSN string
	switch driver {
	case tables.DriverPostgres:
		srcDSN = synctest.Postgres(t)
		w.src = synctest.Open(t, "pgx", srcDSN)
		synctest.Exec(t, w.src, `CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL)`,
			fmt.Sprintf(`INSERT INTO items SELECT i, 'name ' || i, timestamp '2026-01-01' + i * interval '1 ms' FROM generate_series(1, %d) i`, n),
			`CREATE INDEX items_sync ON items (updated_at, id)`)
	default:
		_, srcDSN = synctest.MariaDB(t)
		w.src = synctest.Open(t, "mysql", srcDSN)
		synctest.Exec(t, w.src, `CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL, KEY items_sync (updated_at, id))`,
			fmt.Sprintf(`INSERT INTO items SELECT seq, CONCAT('name ', seq), TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq * 1000 MICROSECOND FROM seq_1_to_%d`, n))
	}
	w.p = pools(t, driver, srcDSN, myDSN)
	w.tbl = createdTable("items", "items", "id", "updated_at")
	w.tbl.BatchSize, w.tbl.OnBadRows, w.tbl.Snapshot.Parts = 100, tables.OnBadRowsReject, parts
	return w
}

// now is the source's clock as the cursor column holds it.
func (w *snapWorld) now() string {
	if w.driver == tables.DriverPostgres {
		return "LOCALTIMESTAMP"
	}
	return "NOW(6)"
}

func (w *snapWorld) job(t *testing.T) *Job {
	t.Helper()
	job, err := Open(context.Background(), w.p, w.tbl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { job.Close() })
	return job
}

// start begins a snapshot and returns it.
func (w *snapWorld) start(t *testing.T) datasync.Snapshot {
	t.Helper()
	snap, started, err := w.job(t).StartSnapshot(context.Background(), datasync.Options{Logger: zerolog.Nop()})
	if err != nil || !started {
		t.Fatalf("start snapshot: %+v, started %v, %v", snap, started, err)
	}
	return snap
}

// part runs one part; stop, when set, ends it after that many pages as a
// killed worker would.
func (w *snapWorld) part(t *testing.T, gen int64, part, stop int) (datasync.RunRecord, error) {
	t.Helper()
	o := datasync.PartOptions{Options: datasync.Options{Logger: zerolog.Nop()}, Generation: gen, Part: part}
	if stop > 0 {
		o.AfterPage = func(n int) error {
			if n >= stop {
				return errKilled
			}
			return nil
		}
	}
	return w.job(t).RunPart(context.Background(), o)
}

var errKilled = errors.New("worker killed")

// read returns the table's snapshot and parts.
func (w *snapWorld) read(t *testing.T) (datasync.Snapshot, []datasync.PartState) {
	t.Helper()
	snap, parts, ok, err := state.New(w.tgt).ReadSnapshot(context.Background(), w.tbl.Name)
	if err != nil || !ok {
		t.Fatalf("read snapshot: ok %v, %v", ok, err)
	}
	return snap, parts
}

// cursor returns the table's stored position.
func (w *snapWorld) cursor(t *testing.T) datasync.Position {
	t.Helper()
	st, _, err := state.New(w.tgt).ReadState(context.Background(), w.tbl.Name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Position
}

// finish runs every part not done, in random order, then one ordinary run.
func (w *snapWorld) finish(t *testing.T, gen int64) {
	t.Helper()
	_, parts := w.read(t)
	for _, i := range rand.Perm(len(parts)) {
		if parts[i].Done {
			continue
		}
		if _, err := w.part(t, gen, parts[i].Part, 0); err != nil {
			t.Fatalf("part %d: %v", parts[i].Part+1, err)
		}
	}
	if _, err := runOnce(t, w.p, w.tbl); err != nil {
		t.Fatalf("the run after the snapshot: %v", err)
	}
}

// wantEqual asserts that verify finds the target equal, nothing pending.
func (w *snapWorld) wantEqual(t *testing.T) {
	t.Helper()
	rep, err := Verify(context.Background(), w.p, w.tbl, 8)
	if err != nil || !rep.Equal || rep.Pending != 0 {
		t.Fatalf("verify: %+v, %v; want equal, nothing pending", rep, err)
	}
}

// A snapshot of 4 parts, run in any order, ends with the target equal, the
// cursor at the bound (inclusive), each part's run in the run log, and the
// snapshot done; the parts cover the rows without overlap.
func TestSnapshotPartsEndEqual(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newSnapWorld(t, driver, 2000, 4)
			snap := w.start(t)
			if snap.Parts != 4 || snap.Bound == nil {
				t.Fatalf("snapshot %+v; want 4 parts and a bound", snap)
			}
			if !w.cursor(t).IsZero() {
				t.Fatalf("cursor %v during the snapshot; want none", w.cursor(t))
			}
			_, parts := w.read(t)
			var read int64
			for _, i := range rand.Perm(len(parts)) {
				rec, err := w.part(t, snap.Generation, i, 0)
				if err != nil {
					t.Fatal(err)
				}
				read += rec.Read
				if rec.Read < 300 || rec.Read > 700 {
					t.Errorf("part %d read %d rows; want about 500", i+1, rec.Read)
				}
			}
			if read != 2000 {
				t.Errorf("the parts read %d rows; want 2000, each once", read)
			}
			got, _ := w.read(t)
			if !got.Done || got.Running || got.PartsDone != 4 || got.Rows != 2000 {
				t.Errorf("snapshot after its parts: %+v; want done, 4 parts, 2000 rows", got)
			}
			if pos := w.cursor(t); pos.Key != nil || !samePos(pos, datasync.Position{Cursor: snap.Bound}) {
				t.Errorf("cursor %v; want the bound %v, inclusive", pos, snap.Bound)
			}
			if n := count(t, w.tgt, "SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'snapshot' AND status = 'ok'"); n != 4 {
				t.Errorf("%d snapshot runs ok in the run log; want 4", n)
			}
			w.wantEqual(t)
			if rec, err := runOnce(t, w.p, w.tbl); err != nil || rec.Read != 0 {
				t.Errorf("the run after the snapshot: %+v, %v; want nothing to read", rec, err)
			}
		})
	}
}

func samePos(a, b datasync.Position) bool {
	// String renders every digit of a cursor (EncodeValue).
	return a.String() == b.String()
}

// LoadSnapshot (syncd sync's first load) begins the snapshot and runs
// every part in this process, ending with the cursor at the bound and the
// target equal; it finishes a snapshot begun elsewhere, from each part's
// last key; and it leaves a small table without declared parts to an
// ordinary run.
func TestLoadSnapshotInProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := datasync.Options{Logger: zerolog.Nop()}

	w := newSnapWorld(t, tables.DriverPostgres, 1500, 3)
	loaded, err := w.job(t).LoadSnapshot(ctx, w.p, o)
	if err != nil || !loaded {
		t.Fatalf("LoadSnapshot: %v, %v; want the table loaded by snapshot", loaded, err)
	}
	snap, parts := w.read(t)
	if !snap.Done || snap.PartsDone != 3 || snap.Rows != 1500 || len(parts) != 3 {
		t.Fatalf("snapshot %+v, %d parts; want done, 3 parts, 1500 rows", snap, len(parts))
	}
	if pos := w.cursor(t); pos.Key != nil || !samePos(pos, datasync.Position{Cursor: snap.Bound}) {
		t.Errorf("cursor %v; want the bound %v, inclusive", pos, snap.Bound)
	}
	w.wantEqual(t)
	if loaded, err := w.job(t).LoadSnapshot(ctx, w.p, o); loaded || err != nil {
		t.Errorf("LoadSnapshot of a table with a cursor: %v, %v; want an ordinary run's turn", loaded, err)
	}

	// Begun by workers, one part killed after 2 pages, one never taken.
	w = newSnapWorld(t, tables.DriverMySQL, 1500, 3)
	snap = w.start(t)
	if _, err := w.part(t, snap.Generation, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := w.part(t, snap.Generation, 1, 2); !errors.Is(err, errKilled) {
		t.Fatalf("part 2 stopped after 2 pages: %v", err)
	}
	if loaded, err := w.job(t).LoadSnapshot(ctx, w.p, o); err != nil || !loaded {
		t.Fatalf("LoadSnapshot of a snapshot under way: %v, %v; want it finished", loaded, err)
	}
	if got, _ := w.read(t); !got.Done || got.Generation != snap.Generation || got.Rows != 1500 {
		t.Fatalf("snapshot %+v; want generation %d done with 1500 rows, each once", got, snap.Generation)
	}
	if n := count(t, w.tgt, "SELECT COALESCE(SUM(rows_read), 0) FROM syncd_runs WHERE `trigger` = 'snapshot'"); n != 1500 {
		t.Errorf("the parts' runs read %d rows; want 1500 (part 2 resumed from its last key)", n)
	}
	w.wantEqual(t)

	w = newSnapWorld(t, tables.DriverMySQL, 500, 0)
	if loaded, err := w.job(t).LoadSnapshot(ctx, w.p, o); loaded || err != nil {
		t.Fatalf("LoadSnapshot of 500 rows, no parts declared: %v, %v; want an ordinary run's turn", loaded, err)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 0 {
		t.Fatalf("%d rows written by a LoadSnapshot that did not load; want 0", n)
	}
}

// A --full of a deletes: mark table whose target holds rows marked
// deleted that the source holds again: the snapshot's parts write those
// rows over the marked ones and clear the marks, as a run's page does,
// so the target says alive what the source holds.
func TestSnapshotClearsDeleteMarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newSnapWorld(t, tables.DriverMySQL, 1000, 2)
	synctest.Exec(t, w.tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL, gone_at DATETIME(6) NULL, KEY syncd_cursor (updated_at))")
	w.tbl.Target.Create, w.tbl.Deletes, w.tbl.Target.DeletedColumn = false, tables.DeletesMark, "gone_at"
	o := datasync.Options{Logger: zerolog.Nop()}
	if loaded, err := w.job(t).LoadSnapshot(ctx, w.p, o); err != nil || !loaded {
		t.Fatalf("first load: %v, %v", loaded, err)
	}
	// Marked deleted in the target (a reconcile saw them gone), held
	// again by the source; then --full: no cursor, a new snapshot.
	synctest.Exec(t, w.tgt, "UPDATE items SET gone_at = NOW(6) WHERE id IN (5, 600)",
		"UPDATE syncd_state SET cursor_value = NULL, last_key = NULL WHERE table_name = 'items'")
	if loaded, err := w.job(t).LoadSnapshot(ctx, w.p, o); err != nil || !loaded {
		t.Fatalf("the --full snapshot: %v, %v", loaded, err)
	}
	if snap, _ := w.read(t); !snap.Done || snap.Generation != 2 {
		t.Fatalf("snapshot %+v; want generation 2 done", snap)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items WHERE gone_at IS NOT NULL"); n != 0 {
		t.Fatalf("%d rows still marked deleted after the snapshot wrote them; want 0", n)
	}
	w.wantEqual(t)
}
