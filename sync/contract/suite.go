package contract

import (
	"errors"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// Run runs the whole suite against a dialect. Each case makes its own
// databases and may run in parallel with the others.
func Run(t *testing.T, f Fixture) {
	cases := []struct {
		name string
		fn   func(*env)
	}{
		{"FirstLoadThenIncremental", testFirstLoadThenIncremental},
		{"EmptyTable", testEmptyTable},
		{"ExactPageMultiple", testExactPageMultiple},
		{"TiesAcrossPagesSingleKey", func(e *env) { testTies(e, false) }},
		{"TiesAcrossPagesCompositeKey", func(e *env) { testTies(e, true) }},
		{"TieShapesReadOnce", testTieShapes},
		{"ResumeAfterCrashBetweenPages", testResumeAfterCrash},
		{"ReapplyingPagesChangesNothing", testReapply},
		{"FencedRunRollsBack", testFencing},
		{"LateCommitArrivesThanksToSettle", testLateCommit},
		{"ValuesAndIdentifiers", testValuesAndIdentifiers},
		{"WhereFilter", testWhere},
		{"QuerySourceWithJoin", testQuerySource},
		{"Overlap", testOverlap},
		{"AllKeyTarget", testAllKeyTarget},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(newEnv(t, f))
		})
	}
}

func expectCounts(e *env, rec datasync.RunRecord, read, ins, upd, unch int64) {
	e.t.Helper()
	got := [4]int64{rec.Read, rec.Inserted, rec.Updated, rec.Unchanged}
	if got != [4]int64{read, ins, upd, unch} {
		e.t.Fatalf("run counts (read, inserted, updated, unchanged) = %v, want %v", got, [4]int64{read, ins, upd, unch})
	}
}

func testFirstLoadThenIncremental(e *env) {
	e.createItems("items", false)
	base := e.base()
	e.insertItems("items", makeItems(1, 50, base))
	tbl := e.table("items", []string{"id"}, 7)

	expectCounts(e, e.mustRun(tbl), 50, 50, 0, 0)
	e.assertSame("items")
	if got := e.storedPosition("items"); got.Key[0] != int64(50) || !got.Cursor.(time.Time).Equal(base.Add(49*time.Millisecond)) {
		e.t.Fatalf("stored position = %v, want the 50th row", got)
	}
	expectCounts(e, e.mustRun(tbl), 0, 0, 0, 0) // nothing changed: nothing read

	later := base.Add(10 * time.Minute)
	e.srcExec("UPDATE "+e.q("items")+" SET "+e.q("name")+" = ?, "+e.q("updated_at")+" = ? WHERE "+e.q("id")+" IN (3, 4, 5)", "changed", later)
	e.insertItems("items", makeItems(51, 2, later))
	expectCounts(e, e.mustRun(tbl), 5, 2, 3, 0)
	e.assertSame("items")
	expectCounts(e, e.mustRun(tbl), 0, 0, 0, 0)
}

func testEmptyTable(e *env) {
	e.createItems("items", false)
	rec := e.mustRun(e.table("items", []string{"id"}, 7))
	expectCounts(e, rec, 0, 0, 0, 0)
	if !e.storedPosition("items").IsZero() {
		e.t.Fatalf("an empty table's run stored a position")
	}
}

func testExactPageMultiple(e *env) {
	e.createItems("items", false)
	e.insertItems("items", makeItems(1, 21, e.base()))
	rec := e.mustRun(e.table("items", []string{"id"}, 7))
	expectCounts(e, rec, 21, 21, 0, 0)
	if rec.Pages != 3 {
		e.t.Fatalf("pages = %d, want 3", rec.Pages)
	}
	e.assertSame("items")
}

// testTies puts 2,000 rows on one cursor value, across many pages: every
// one must arrive, and be read exactly once.
func testTies(e *env, composite bool) {
	e.createItems("items", composite)
	ts := e.base()
	var rows []item
	for i := 0; i < 2000; i++ {
		it := item{id: int64(i + 1), k2: 1, name: "tie", amount: "1.5", ts: ts}
		if composite {
			it.id, it.k2 = int64(i/20+1), int32(i%20+1)
		}
		rows = append(rows, it)
	}
	e.insertItems("items", rows)
	key := []string{"id"}
	if composite {
		key = []string{"id", "k2"}
	}
	tbl := e.table("items", key, 150)
	expectCounts(e, e.mustRun(tbl), 2000, 2000, 0, 0)
	e.assertSame("items")

	// Later rows on the same cursor value after the stored key still come.
	e.insertItems("items", []item{{id: 5000, k2: 1, name: "late tie", ts: ts}, {id: 5001, k2: 7, ts: ts}})
	expectCounts(e, e.mustRun(tbl), 2, 2, 0, 0)
	e.assertSame("items")
}

var errCrash = errors.New("injected crash")

// testResumeAfterCrash stops a run after its second page, as a crash
// would: the target holds exactly those pages and a matching position, and
// the next run reads only the rest.
func testResumeAfterCrash(e *env) {
	e.createItems("items", false)
	base := e.base()
	e.insertItems("items", makeItems(1, 100, base))
	tbl := e.table("items", []string{"id"}, 15)
	_, err := e.run(tbl, func(page int) error {
		if page == 2 {
			return errCrash
		}
		return nil
	})
	if !errors.Is(err, errCrash) {
		e.t.Fatalf("run error = %v, want the injected crash", err)
	}
	if n := e.count("items"); n != 30 {
		e.t.Fatalf("after a crash at page 2 the target has %d rows, want 30", n)
	}
	if p := e.storedPosition("items"); p.Key[0] != int64(30) || !p.Cursor.(time.Time).Equal(base.Add(29*time.Millisecond)) {
		e.t.Fatalf("position after crash = %v, want row 30", p)
	}
	expectCounts(e, e.mustRun(tbl), 70, 70, 0, 0)
	e.assertSame("items")
}

// testReapply rewinds the stored position: re-applying every page leaves
// the target as it was and counts every row unchanged.
func testReapply(e *env) {
	e.createItems("items", false)
	e.insertItems("items", makeItems(1, 40, e.base()))
	tbl := e.table("items", []string{"id"}, 9)
	e.mustRun(tbl)
	e.tgtExec("UPDATE syncd_state SET cursor_value = NULL, last_key = NULL WHERE table_name = 'items'")
	expectCounts(e, e.mustRun(tbl), 40, 0, 0, 40)
	e.assertSame("items")
}

// testFencing starts a second run of the same table while the first is
// between pages: the second claims the table and completes, and the
// first's next page is refused and rolled back.
func testFencing(e *env) {
	e.createItems("items", false)
	e.insertItems("items", makeItems(1, 30, e.base()))
	tbl := e.table("items", []string{"id"}, 10)
	var second datasync.RunRecord
	_, err := e.run(tbl, func(page int) error {
		if page == 1 {
			second = e.mustRun(tbl)
		}
		return nil
	})
	if !datasync.IsFenced(err) {
		e.t.Fatalf("first run error = %v, want it fenced", err)
	}
	expectCounts(e, second, 20, 20, 0, 0)
	e.assertSame("items")
	if p := e.storedPosition("items"); p.Key[0] != int64(30) {
		e.t.Fatalf("position = %v, want the second run's last row", p)
	}
	var failed, ok int
	err = e.tgt.QueryRow("SELECT SUM(status = 'failed'), SUM(status = 'ok') FROM syncd_runs WHERE table_name = 'items'").Scan(&failed, &ok)
	if err != nil || failed != 1 || ok != 1 {
		e.t.Fatalf("syncd_runs: failed=%d ok=%d err=%v, want one of each", failed, ok, err)
	}
}
