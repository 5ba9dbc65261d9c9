//go:build faults

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// reconciled declares name again with a reconcile: schedule.
func (w *world) reconciled(name, schedule string) {
	w.t.Helper()
	must(w.t, os.WriteFile(filepath.Join(w.dir, "tables", name+".yaml"), []byte(
		"source: {connection: src, table: src_"+name+", key: [id], cursor: updated_at}\ntarget: {table: "+name+"}\nreconcile: \""+schedule+"\"\n"), 0o644))
}

// reconcileRuns counts a table's reconciles in syncd_runs by status, and
// sums the rows they deleted.
func (w *world) reconcileRuns(name string) (byStatus map[string]int, deleted int64) {
	w.t.Helper()
	rows, err := w.tgt.Query("SELECT status, rows_deleted FROM syncd_runs WHERE table_name = ? AND `trigger` = 'reconcile'", name)
	must(w.t, err)
	defer rows.Close()
	byStatus = map[string]int{}
	for rows.Next() {
		var s string
		var n int64
		must(w.t, rows.Scan(&s, &n))
		byStatus[s]++
		deleted += n
	}
	must(w.t, rows.Err())
	return byStatus, deleted
}

// drift deletes n random rows of ids 1..max of src_NAME that are still
// there, and sets updated_at back an hour on n others (a cursor moved
// backwards: no run reads them again); it returns the ids it deleted.
func (w *world) drift(name string, n, max int) (deleted, backdated int64) {
	w.t.Helper()
	ids := rand.Perm(max)[:2*n]
	for i, id := range ids {
		q := "DELETE FROM src_" + name + " WHERE id = $1"
		if i >= n {
			q = "UPDATE src_" + name + " SET name = 'backdated', updated_at = updated_at - interval '1 hour' WHERE id = $1"
		}
		res, err := w.src.Exec(q, id+1)
		must(w.t, err)
		k, _ := res.RowsAffected()
		if i < n {
			deleted += k
		} else {
			backdated += k
		}
	}
	return deleted, backdated
}

// Rows deleted (1%) and rows changed with their cursor set back an hour
// (1%) in ten bursts, during continuous inserts and updates, with `syncd
// run` syncing every 2 s and reconciling every 5 s (reconcile: "@every
// 5s"): a sync cannot see either kind, so only the scheduled reconcile
// brings the table level. The scheduled syncs and reconciles of the table
// meet all the time; the queue keeps them from running at once.
func TestFaultsReconcileDeletesAndBackdated(t *testing.T) {
	const rows, bursts = 20000, 10
	w := newWorld(t, worldOptions{schedule: "@every 2s"})
	w.table("items", rows, 100)
	w.reconciled("items", "@every 5s")
	w.start("run")
	waitCaughtUp(t, w, "items")
	stop := make(chan struct{})
	changes := writeLoad(t, w.src, []string{"items"}, stop)
	var deleted, backdated int64
	for range bursts {
		d, b := w.drift("items", rows/100/bursts, rows)
		deleted, backdated = deleted+d, backdated+b
		time.Sleep(2 * time.Second)
	}
	close(stop)
	n := <-changes
	waitCaughtUp(t, w, "items")
	byStatus, removed := w.reconcileRuns("items")
	if byStatus["ok"] == 0 || removed != deleted {
		t.Errorf("reconciles %v deleted %d rows in all, want ok ones and %d", byStatus, removed, deleted)
	}
	w.mustEqual("1% of rows deleted and 1% updated with backdated cursors during continuous writes; syncs @every 2s, scheduled reconcile @every 5s", "items", bursts,
		fmt.Sprintf("%d rows deleted and %d backdated in %d bursts, %d other source changes meanwhile; reconciles in syncd_runs by status %v, %d rows deleted by them in all",
			deleted, backdated, bursts, n, byStatus, removed))
}

// A reconcile killed with SIGKILL in the middle of its delete and repair
// batches, then run again: the killed one's batches stand (each was one
// fenced transaction), its run row is closed as abandoned by the next,
// and the rerun finishes the work.
func TestFaultsReconcileKilled(t *testing.T) {
	w := newWorld(t, worldOptions{batch: 100})
	w.table("items", 100000, 100)
	if out, code := w.syncd("sync", "items"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	synctest.Exec(t, w.src, "DELETE FROM src_items WHERE id % 10 = 3", "UPDATE src_items SET name = 'changed behind' WHERE id % 10 = 4")
	before := w.count("items")
	p := w.start("reconcile", "items")
	deadline := time.Now().Add(2 * time.Minute)
	for w.count("items") > before-2000 {
		if time.Now().After(deadline) {
			t.Fatalf("the reconcile deleted under 2000 rows in 2 minutes\n%s", w.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.kill()
	atKill := before - w.count("items")
	if atKill >= 10000 {
		t.Fatalf("the reconcile had deleted all %d rows before the kill: it shows nothing", atKill)
	}
	out, code := w.syncd("reconcile", "items")
	if code != 0 {
		t.Fatalf("reconcile again: exit %d\n%s", code, out)
	}
	byStatus, _ := w.reconcileRuns("items")
	if byStatus["ok"] != 1 || byStatus["failed"] != 1 {
		t.Errorf("reconciles by status %v; want the killed one closed as failed (abandoned) and one ok", byStatus)
	}
	w.mustEqual("reconcile killed with SIGKILL mid-way (10,000 deletes and 10,000 repairs in batches of 100), then run again", "items", 1,
		fmt.Sprintf("%d rows deleted when killed; the rerun: %q; reconciles in syncd_runs by status %v", atKill, lineWith(out, "items: did"), byStatus))
}

// count counts a target table's rows.
func (w *world) count(name string) int64 {
	var n int64
	must(w.t, w.tgt.QueryRow("SELECT COUNT(*) FROM "+name).Scan(&n))
	return n
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
