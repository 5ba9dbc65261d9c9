package contract

import (
	"fmt"
	"time"

	"github.com/syncd/syncd/sync/mysql"
)

// testLateCommit holds a source transaction open across a run while a
// newer row commits. With settle the late row arrives; with settle 0 the
// very same sequence loses it, which shows the test sees the loss. A first
// run that ends after settle has passed (a slow, shared test server) did
// not test settle: the scenario is run again with a longer one.
func testLateCommit(e *env) {
	for settle := 2 * time.Second; ; settle *= 2 {
		got, timely := lateCommitArrivals(e, fmt.Sprintf("late_settled_%d", settle/time.Second), settle)
		if !timely && settle < 16*time.Second {
			e.t.Logf("the first run with settle %v ended after it had passed; again with %v", settle, 2*settle)
			continue
		}
		if got != 2 {
			e.t.Fatalf("with settle %v the target has %d of 2 rows: a late commit was lost", settle, got)
		}
		break
	}
	if got, _ := lateCommitArrivals(e, "late_unsettled", 0); got != 1 {
		e.t.Fatalf("with settle 0 the target has %d rows, want the late row lost (1): the scenario no longer tests settle", got)
	}
}

// lateCommitArrivals returns the rows in the target after the two runs,
// and whether the first run ended before the source clock passed the
// newer row plus settle.
func lateCommitArrivals(e *env, name string, settle time.Duration) (int, bool) {
	e.createItems(name, false)
	t0 := e.sourceNow()
	tx, err := e.src.Begin()
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // committed below
	ins := "INSERT INTO " + e.q(name) + " (" + e.q("id") + ", " + e.q("k2") + ", " + e.q("updated_at") + ") VALUES (?, 1, ?)"
	if _, err := tx.Exec(e.placeholders(ins), 1, t0); err != nil {
		e.t.Fatal(err)
	}
	e.srcExec(ins, 2, t0.Add(50*time.Millisecond))
	e.waitSourceClock(t0.Add(100 * time.Millisecond))
	tbl := e.table(name, []string{"id"}, 10)
	tbl.Settle = settle
	e.mustRun(tbl)
	timely := e.sourceNow().Before(t0.Add(50*time.Millisecond + settle))
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	e.waitSourceClock(t0.Add(100*time.Millisecond + settle))
	e.mustRun(tbl)
	return e.count(name), timely
}

// waitSourceClock waits until the source's clock has passed t.
func (e *env) waitSourceClock(t time.Time) {
	for e.sourceNow().Before(t) {
		time.Sleep(20 * time.Millisecond)
	}
}

// testValuesAndIdentifiers syncs reserved words and non-ASCII as column
// names, 4-byte UTF-8, NULLs, full-precision decimals and microseconds.
func testValuesAndIdentifiers(e *env) {
	ty := e.f.Types
	cols := []string{"order", "key", "供应商名称", "amount", "updated_at"}
	e.srcExec(fmt.Sprintf("CREATE TABLE %s (%s %s NOT NULL PRIMARY KEY, %s %s NULL, %s %s NULL, %s %s NULL, %s %s NOT NULL)",
		e.q("odd"), e.q(cols[0]), ty.Int, e.q(cols[1]), ty.Text, e.q(cols[2]), ty.Text, e.q(cols[3]), ty.Decimal, e.q(cols[4]), ty.Timestamp))
	e.tgtExec("CREATE TABLE `odd` (`order` INT NOT NULL PRIMARY KEY, `key` VARCHAR(200) NULL, `供应商名称` VARCHAR(200) NULL, " +
		"`amount` DECIMAL(38,10) NULL, `updated_at` DATETIME(6) NOT NULL) DEFAULT CHARSET=utf8mb4")
	base := e.base().Truncate(time.Second)
	ins := fmt.Sprintf("INSERT INTO %s (%s, %s, %s, %s, %s) VALUES (?, ?, ?, ?, ?)", e.q("odd"), e.q(cols[0]), e.q(cols[1]), e.q(cols[2]), e.q(cols[3]), e.q(cols[4]))
	e.srcExec(ins, 1, "𝄞😀 four-byte", "供应商甲", "1234567890123456789012345678.1234567890", base.Add(time.Microsecond))
	e.srcExec(ins, 2, nil, nil, nil, base.Add(999999*time.Microsecond))
	e.srcExec(ins, 3, "", "'; DROP TABLE odd; --", "-0.0000000001", base.Add(2*time.Second))
	tbl := e.table("odd", []string{"order"}, 2)
	expectCounts(e, e.mustRun(tbl), 3, 3, 0, 0)

	src := readAll(e.t, e.src, e.f.Dialect, "odd", cols)
	tgt := readAll(e.t, e.tgt, mysql.Dialect{}, "odd", cols)
	want := [][]any{
		{int64(1), "𝄞😀 four-byte", "供应商甲", "1234567890123456789012345678.1234567890", base.Add(time.Microsecond)},
		{int64(2), nil, nil, nil, base.Add(999999 * time.Microsecond)},
		{int64(3), "", "'; DROP TABLE odd; --", "-0.0000000001", base.Add(2 * time.Second)},
	}
	for i, w := range want {
		for j := range w {
			if !sameValue(tgt[i][j], w[j]) || !sameValue(src[i][j], w[j]) {
				e.t.Fatalf("row %d column %s: source %#v, target %#v, want %#v", i+1, cols[j], src[i][j], tgt[i][j], w[j])
			}
		}
	}
}

func sameValue(got, want any) bool {
	if t, ok := want.(time.Time); ok {
		g, ok := got.(time.Time)
		return ok && g.Equal(t)
	}
	return got == want
}

func testWhere(e *env) {
	e.createItems("items", false)
	rows := makeItems(1, 20, e.base())
	for i := range rows {
		rows[i].k2 = int32(i%2 + 1)
	}
	e.insertItems("items", rows)
	tbl := e.table("items", []string{"id"}, 4)
	tbl.Source.Where = e.q("k2") + " = 1"
	expectCounts(e, e.mustRun(tbl), 10, 10, 0, 0)
	if n := e.count("items"); n != 10 {
		e.t.Fatalf("target has %d rows, want the 10 the filter passes", n)
	}
}

// testQuerySource declares the source as a SELECT with a join, read as a
// derived table.
func testQuerySource(e *env) {
	e.createItems("items", false)
	ty := e.f.Types
	e.srcExec(fmt.Sprintf("CREATE TABLE %s (%s %s NOT NULL PRIMARY KEY, %s %s NOT NULL)", e.q("cust"), e.q("id"), ty.Int, e.q("cname"), ty.Text))
	e.srcExec("INSERT INTO "+e.q("cust")+" VALUES (1, ?), (2, ?)", "Ada", "Grace")
	rows := makeItems(1, 12, e.base())
	for i := range rows {
		rows[i].k2 = int32(i%2 + 1)
	}
	e.insertItems("items", rows)
	e.tgtExec("CREATE TABLE `named` (`id` BIGINT NOT NULL PRIMARY KEY, `cname` VARCHAR(200) NOT NULL, `changed` DATETIME(6) NOT NULL)")
	tbl := e.table("named", []string{"id"}, 5)
	tbl.Source.Table = ""
	tbl.Source.Query = "SELECT i." + e.q("id") + ", i." + e.q("updated_at") + ", c." + e.q("cname") +
		" FROM " + e.q("items") + " i JOIN " + e.q("cust") + " c ON c." + e.q("id") + " = i." + e.q("k2")
	tbl.Target.Columns = map[string]string{"id": "id", "cname": "cname", "changed": "updated_at"}
	expectCounts(e, e.mustRun(tbl), 12, 12, 0, 0)
	var graces int
	if err := e.tgt.QueryRow("SELECT COUNT(*) FROM `named` WHERE `cname` = 'Grace' AND `id` % 2 = 0").Scan(&graces); err != nil || graces != 6 {
		e.t.Fatalf("joined rows for Grace = %d (%v), want 6", graces, err)
	}
}

// testOverlap re-reads the declared span behind the cursor at each run.
func testOverlap(e *env) {
	e.createItems("items", false)
	e.insertItems("items", makeItems(1, 10, e.base()))
	tbl := e.table("items", []string{"id"}, 4)
	e.mustRun(tbl)
	expectCounts(e, e.mustRun(tbl), 0, 0, 0, 0)
	tbl.Overlap = 2 * time.Hour
	expectCounts(e, e.mustRun(tbl), 10, 0, 0, 10)
	e.assertSame("items")
}

// testAllKeyTarget writes into a link table, every column of it in the
// key, through the engine and the target's usual write path: pages of new
// rows, then the same pages again (re-applied, unchanged).
func testAllKeyTarget(e *env) {
	e.createItems("items", true)
	rows := makeItems(1, 10, e.base())
	for i := range rows {
		rows[i].id, rows[i].k2 = int64(i/3+1), int32(i%3+1)
	}
	e.insertItems("items", rows)
	e.tgtExec("CREATE TABLE `link` (`id` BIGINT NOT NULL, `k2` INT NOT NULL, PRIMARY KEY (`id`, `k2`))")
	tbl := e.table("link", []string{"id", "k2"}, 4)
	tbl.Source.Table = "items"
	tbl.Target.Columns = map[string]string{"id": "id", "k2": "k2"}
	rec := e.mustRun(tbl)
	expectCounts(e, rec, 10, 10, 0, 0)
	e.tgtExec("UPDATE syncd_state SET cursor_value = NULL, last_key = NULL WHERE table_name = 'link'")
	expectCounts(e, e.mustRun(tbl), 10, 0, 0, 10)
	if n := e.count("link"); n != 10 || rec.Pages != 3 {
		e.t.Fatalf("link table: %d rows in %d pages, want 10 in 3", n, rec.Pages)
	}
	if p := e.storedPosition("link"); p.Key[0] != int64(4) || p.Key[1] != int64(1) {
		e.t.Fatalf("stored position %v, want the last row (4, 1)", p)
	}
}
