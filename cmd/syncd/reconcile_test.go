package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/synctest"
)

// syncd reconcile --dry-run lists a row deleted in the source and writes
// nothing (no row, no run, no claim of the table); syncd reconcile claims
// the table, deletes the row, keeps the cursor, and the run log shows the
// reconcile, and so do syncd status, its JSON (/api/tables) and the
// status page.
func TestReconcileCommand(t *testing.T) {
	cfg, src, tgt := itemsWorld(t, 10, itemsTable+"reconcile: \"0 3 * * *\"\n")
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	if out, code := runCLI("-c", cfg, "reconcile", "items"); code != exitFailed || !strings.Contains(out, "has not been synced yet") {
		t.Fatalf("reconcile before any sync: exit %d, want %d and a word why\n%s", code, exitFailed, out)
	}
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	synctest.Exec(t, src, "DELETE FROM items WHERE id = 3")
	before := reconcileWorld(t, tgt)
	out, code := runCLI("-c", cfg, "reconcile", "items", "--dry-run")
	if code != 0 || !strings.Contains(out, "items: would delete 1, insert 0, update 0") || !strings.Contains(out, "  delete  3\n") {
		t.Fatalf("reconcile --dry-run: exit %d\n%s", code, out)
	}
	// A dry run writes nothing: not a row, not the run log, and it does
	// not claim the table (a run under way would be fenced off by it).
	if after := reconcileWorld(t, tgt); after != before {
		t.Fatalf("the dry run changed the target: %+v, was %+v", after, before)
	}
	if out, code := runCLI("-c", cfg, "reconcile", "--all"); code != 0 || !strings.Contains(out, "items: did delete 1") {
		t.Fatalf("reconcile: exit %d\n%s", code, out)
	}
	after := reconcileWorld(t, tgt)
	if after.rows != 9 || after.ids != "1,2,4,5,6,7,8,9,10" || after.version <= before.version || after.runs != before.runs+1 || after.cursor != before.cursor {
		t.Fatalf("after the reconcile: %+v, was %+v; want row 3 gone, the table claimed, one run more, the cursor kept", after, before)
	}
	var n int
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'reconcile' AND rows_deleted = 1 AND status = 'ok'").Scan(&n))
	if n != 1 {
		t.Fatalf("no reconcile with 1 row deleted in syncd_runs")
	}
	if out, code := runCLI("-c", cfg, "verify", "items"); code != 0 {
		t.Fatalf("verify after reconcile: exit %d\n%s", code, out)
	}
	checkReconcileStatus(t, cfg)
}

// reconciled is what a reconcile may change in the target: the rows, the
// table's fencing version and cursor, and the run log.
type reconciled struct {
	rows          int
	ids           string
	version, runs int64
	cursor        string
}

func reconcileWorld(t *testing.T, tgt *sql.DB) (w reconciled) {
	t.Helper()
	must(t, tgt.QueryRow("SELECT COUNT(*), GROUP_CONCAT(id ORDER BY id) FROM items").Scan(&w.rows, &w.ids))
	must(t, tgt.QueryRow("SELECT version, cursor_value FROM syncd_state WHERE table_name = 'items'").Scan(&w.version, &w.cursor))
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM syncd_runs WHERE table_name = 'items'").Scan(&w.runs))
	return w
}

// checkReconcileStatus checks that syncd status shows items' last
// reconcile (ok, 1 row deleted) and its schedule, in text, in JSON and on
// the status page rendered from that JSON.
func checkReconcileStatus(t *testing.T, cfg string) {
	t.Helper()
	out, code := runCLI("-c", cfg, "status", "items")
	if code != 0 || !strings.Contains(out, "LAST RECONCILE") || !strings.Contains(out, "ok 1 deleted ") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	out, code = runCLI("-c", cfg, "status", "items", "--json")
	var sts []queue.TableStatus
	if code != 0 || json.Unmarshal([]byte(out), &sts) != nil || len(sts) != 1 {
		t.Fatalf("status --json: exit %d\n%s", code, out)
	}
	st := sts[0]
	if r := st.LastReconcile; r == nil || r.Status != "ok" || r.Deleted != 1 || r.Ended == nil || st.Reconcile != "0 3 * * *" || st.NextReconcile == nil {
		t.Fatalf("status --json: last_reconcile %+v, reconcile %q, next %v\n%s", r, st.Reconcile, st.NextReconcile, out)
	}
	var b bytes.Buffer
	must(t, pageTemplate.Execute(&b, pageData{Tables: sts, Monitor: "/monitor/"}))
	if page := b.String(); !strings.Contains(page, `<td class="reconcile"><span class="ok">ok</span> 1 deleted · `) || !strings.Contains(page, "<small>0 3 * * * · in ") {
		t.Fatalf("status page:\n%s", page)
	}
}

// syncd verify of a deletes: mark table after a reconcile marked a row
// says equal and names the marked rows it left out.
func TestVerifyCommandMarked(t *testing.T) {
	marked := strings.Replace(itemsTable, "target: {table: items}", "target: {table: items, deleted_column: gone_at}\ndeletes: mark", 1)
	cfg, src, tgt := itemsWorld(t, 10, marked)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL, gone_at DATETIME(6) NULL)")
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	synctest.Exec(t, src, "DELETE FROM items WHERE id IN (3, 4)")
	if out, code := runCLI("-c", cfg, "reconcile", "items"); code != 0 || !strings.Contains(out, "items: did mark 2") {
		t.Fatalf("reconcile: exit %d\n%s", code, out)
	}
	out, code := runCLI("-c", cfg, "verify", "items")
	if code != 0 || !strings.Contains(out, "items: equal") || !strings.Contains(out, "2 target rows marked deleted (deletes: mark), not compared") {
		t.Fatalf("verify after reconcile: exit %d\n%s", code, out)
	}
}

// syncd enqueue --reconcile queues a reconcile that `syncd run`'s worker
// runs: the row deleted in the source leaves the target, and the run log
// shows the reconcile with the row it deleted.
func TestEnqueueReconcile(t *testing.T) {
	w := startOps(t, "@daily")
	if out, code := runCLI("-c", w.cfg, "enqueue", "items"); code != 0 {
		t.Fatalf("enqueue: exit %d\n%s", code, out)
	}
	w.waitForRun(10)
	synctest.Exec(t, w.src, "DELETE FROM items WHERE id = 4")
	if out, code := runCLI("-c", w.cfg, "enqueue", "--reconcile", "items", "--full"); code != exitBadConfig {
		t.Fatalf("enqueue --reconcile --full: exit %d, want %d\n%s", code, exitBadConfig, out)
	}
	if out, code := runCLI("-c", w.cfg, "enqueue", "--reconcile", "items"); code != 0 || !strings.Contains(out, "items: reconcile queued") {
		t.Fatalf("enqueue --reconcile: exit %d\n%s", code, out)
	}
	synctest.Eventually(t, "the reconcile done", func() (bool, string) {
		var n int
		must(t, w.tgt.QueryRow("SELECT COUNT(*) FROM syncd_runs WHERE `trigger` = 'reconcile' AND status = 'ok' AND rows_deleted = 1").Scan(&n))
		return n == 1, "no ok reconcile with 1 row deleted in syncd_runs"
	})
	var n int
	must(t, w.tgt.QueryRow("SELECT COUNT(*) FROM items WHERE id = 4").Scan(&n))
	if n != 0 {
		t.Errorf("row 4 is still in the target")
	}
	// No reconcile: declared: status does not look for reconciles.
	if st := w.table("items"); st.LastReconcile != nil || st.Reconcile != "" || st.NextReconcile != nil {
		t.Errorf("status of a table without reconcile: shows %+v, %q, %v", st.LastReconcile, st.Reconcile, st.NextReconcile)
	}
}
