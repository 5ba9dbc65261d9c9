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
)

// A worker killed with SIGKILL inside a catch-up that merges its pages in
// groups (merge_pages: 5): after a first load of 200,000 rows, 60,000 of
// them change, their cursor values out of key order, and the catch-up
// (300 pages of 200, 60 groups) is killed 10 times, each round after 1 to
// 4 more groups committed: on even rounds just after a group committed,
// on odd rounds at a random point inside the next group (its pages
// staged on the worker's own connection, or its merge, or its commit).
// A kill while pages are staged loses only the temporary stage; the
// position moves only with a merge. Each round enqueues into a queue of
// its own, so the killed workers' tasks come back after their lease and
// run beside the newer ones, fenced. The lookback is off: the scenario
// is about the pages' write.
func TestFaultsWorkerKilledInGroupedCatchUp(t *testing.T) {
	const kills = 10
	w := newWorld(t, worldOptions{queues: kills + 1, batch: 200})
	w.table("items", 200000, 100)
	if out, code := w.syncd("sync", "items"); code != 0 {
		t.Fatalf("first load: exit %d\n%s", code, out)
	}
	decl := filepath.Join(w.dir, "tables", "items.yaml")
	b, err := os.ReadFile(decl)
	must(t, err)
	must(t, os.WriteFile(decl, append(b, "merge_pages: 5\nlookback: 0s\n"...), 0o644))
	tb := w.declaration("items")
	if tb.MergePages != 5 {
		t.Fatalf("merge_pages %d, want 5", tb.MergePages)
	}
	// A random cursor order across the keys: each page's keys are spread
	// over the whole table, as a day of edits spreads them.
	w.srcExec(`UPDATE src_items SET qty = qty + 1, updated_at = clock_timestamp() + random() * interval '2 seconds' WHERE id % 10 IN (1, 4, 7)`)
	time.Sleep(3 * time.Second) // past settle (1s): every change is below the next run's upper bound
	start := w.pages("items")
	var progress []int64
	var within []string
	for i := range kills {
		worker := w.start("worker")
		tb.Queue = w.queues[i]
		w.enqueue(tb)
		w.waitPages("items", w.pages("items")+1+int64(rand.IntN(4)), 2*time.Minute)
		if i%2 == 1 {
			within = append(within, w.midPage("items").Round(time.Millisecond).String())
		} else {
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		}
		worker.kill()
		progress = append(progress, w.pages("items")-start)
	}
	tb.Queue = w.queues[kills]
	w.start("worker")
	w.enqueue(tb)
	// The killed workers' tasks come back one by one as their leases
	// lapse (30 s to 90 s each, later on a loaded machine).
	w.idle(8 * time.Minute)
	if progress[kills-1] >= 60 {
		t.Errorf("the catch-up ended before the last kill (groups at each kill: %v)", progress)
	}
	// The position moves once a group: 300 pages page by page would have
	// moved it 300 times or more.
	moves := w.pages("items") - start
	if moves >= 150 {
		t.Errorf("the position moved %d times for 300 pages: the pages were not merged in groups\n%s", moves, w.logTail())
	}
	w.mustEqual("worker killed (SIGKILL) inside a catch-up of 60,000 changed rows merged 5 pages a transaction (merge_pages), restarted each time", "items", kills,
		fmt.Sprintf("groups of 5 pages of 200 committed at each kill: %v; the odd kills landed this far into a group: %s; %d group transactions in all (re-read groups included)", progress, strings.Join(within, ", "), moves))
}

// srcExec runs statements on the world's source.
func (w *world) srcExec(stmts ...string) {
	w.t.Helper()
	for _, q := range stmts {
		if _, err := w.src.Exec(q); err != nil {
			w.t.Fatalf("%s: %v", q, err)
		}
	}
}
