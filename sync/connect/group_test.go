package connect_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// groupWorld is a PostgreSQL items table of rows the stage carries (no
// binary column), a MariaDB target of the same shape, and a declaration
// that merges pages of 10 rows three at a time.
type groupWorld struct {
	verifyWorld
}

func newGroupWorld(t *testing.T, rows int, targetCheck string) *groupWorld {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	srcDSN := synctest.Postgres(t)
	w := &groupWorld{verifyWorld{tgt: synctest.Open(t, "mysql", myDSN), src: synctest.Open(t, "pgx", srcDSN)}}
	synctest.Exec(t, w.src, `CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL, updated_at timestamp(6) NOT NULL)`,
		fmt.Sprintf(`INSERT INTO items SELECT i, 'name ' || i || ' ✓', i * 1.25, timestamp '2026-01-01' + i * interval '1 ms' FROM generate_series(1, %d) i`, rows))
	synctest.Exec(t, w.tgt, `CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, amount DECIMAL(12,2) NOT NULL,
		updated_at DATETIME(6) NOT NULL`+targetCheck+`)`)
	cfg := &tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: srcDSN},
		"tgt": {Driver: tables.DriverMySQL, DSN: myDSN},
	}}
	w.pools, w.cfg = connect.NewPools(cfg), cfg
	t.Cleanup(func() { w.pools.Close() })
	w.table = tables.Table{
		Name:   "items",
		Source: tables.Source{Connection: "src", Table: "items", Key: []string{"id"}, Cursor: "updated_at", CursorClock: tables.ClockLocal},
		Target: tables.Target{Connection: "tgt", Table: "items"}, BatchSize: 10, MergePages: 3, OnBadRows: tables.OnBadRowsReject,
	}
	return w
}

// run runs the table once with afterPage; it returns the run's record
// and error.
func (w *groupWorld) run(t *testing.T, afterPage func(int) error) (datasync.RunRecord, error) {
	t.Helper()
	ctx := context.Background()
	job, err := connect.Open(ctx, w.pools, w.table)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	return job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.Nop(), AfterPage: afterPage})
}

// A catch-up with merge_pages 3 commits its pages three at a time: a run
// stopped after its first group leaves exactly those 30 rows in the target
// and the cursor on the 30th, nothing of the pages staged after them; the
// next run goes on from there, and a row changed twice while one run
// read it (staged in two pages of one group) ends with its later value.
func TestGroupCommitsPagesTogether(t *testing.T) {
	t.Parallel()
	w := newGroupWorld(t, 95, "")
	stop := errors.New("stopped after the first group")
	var seen []int
	rec, err := w.run(t, func(page int) error {
		seen = append(seen, page)
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("run: %v, want it stopped after the first group", err)
	}
	if fmt.Sprint(seen) != "[3]" || rec.Pages != 3 || rec.Read != 30 {
		t.Fatalf("first group: pages reported %v, %d pages and %d rows in the record; want [3], 3 and 30", seen, rec.Pages, rec.Read)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 30 {
		t.Fatalf("%d rows in the target after the first group, want 30", n)
	}
	if cur := storedCursor(t, w); cur != "t:2026-01-01T00:00:00.03Z [\"i:30\"]" {
		t.Fatalf("cursor after the first group: %s, want the 30th row's", cur)
	}
	// The group's counts commit with it (a run killed now keeps them).
	if n := count(t, w.tgt, "SELECT run_pages * 1000 + run_read FROM syncd_state WHERE table_name = 'items'"); n != 3030 {
		t.Fatalf("counts kept with the first group: %d (pages * 1000 + rows), want 3 pages and 30 rows", n)
	}
	// The next run stages rows 31-60, 61-90 and the short page 91-95.
	rec, err = w.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Read != 65 || rec.Pages != 7 || rec.Inserted != 65 {
		t.Fatalf("second run: %+v, want 65 rows read and inserted in 7 pages", rec.WriteStats)
	}
	if rep := w.verify(t, 4); !rep.Equal {
		t.Fatalf("verify after the grouped catch-up: %+v", rep)
	}
}

// A value the target refuses only at the merge (a CHECK constraint, which
// the stage does not copy) makes the run write the rest page by page,
// where the bad row is found and kept as a reject: the run ends, every
// other row is in the target and the cursor at the end.
func TestGroupRefusedValueFallsBackToPages(t *testing.T) {
	t.Parallel()
	w := newGroupWorld(t, 45, ", CONSTRAINT amount_small CHECK (amount < 40)")
	rec, err := w.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 32 to 45 have an amount of 40 or more (id * 1.25).
	if rec.Read != 45 || rec.Rejected != 14 || rec.Inserted != 31 {
		t.Fatalf("run: read %d, %+v; want 45 read, 31 inserted and 14 rejected", rec.Read, rec.WriteStats)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM items"); n != 31 {
		t.Fatalf("%d rows in the target, want 31", n)
	}
	if n := count(t, w.tgt, "SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items'"); n != 14 {
		t.Fatalf("%d rejects kept, want 14", n)
	}
	if cur := storedCursor(t, w); cur != "t:2026-01-01T00:00:00.045Z [\"i:45\"]" {
		t.Fatalf("cursor: %s, want the last row's", cur)
	}
}

func storedCursor(t *testing.T, w *groupWorld) string {
	t.Helper()
	var cur, key string
	if err := w.tgt.QueryRow("SELECT cursor_value, last_key FROM syncd_state WHERE table_name = 'items'").Scan(&cur, &key); err != nil {
		t.Fatal(err)
	}
	pos, err := datasync.DecodePosition(&cur, &key)
	if err != nil {
		t.Fatal(err)
	}
	return pos.String()
}
