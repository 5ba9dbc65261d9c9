//go:build faults

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A 4-part snapshot (the first load of 200,000 rows) taken by 2 worker
// processes, with a worker killed (SIGKILL) at a random point 6 times and
// another started each time, while the source keeps changing (updates of
// rows of every part's range, inserts past the last key). A killed
// worker's part tasks stay active until their lease expires, then run
// again beside the parts' newer claims: the per-part fencing version
// keeps them apart. The snapshot must end (every part done, the cursor at
// its bound) and the runs after it bring the changes: verify equal,
// nothing pending.
func TestFaultsSnapshotWorkersKilled(t *testing.T) {
	const kills = 6
	w := newWorld(t, worldOptions{batch: 500})
	w.table("items", 200000, 100)
	f, err := os.OpenFile(filepath.Join(w.dir, "tables", "items.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString("snapshot: {parts: 4}\n")
	must(t, err)
	must(t, f.Close())
	tb := w.declaration("items")
	workers := []*proc{w.start("worker"), w.start("worker")}
	stop := make(chan struct{})
	changes := writeLoad(t, w.src, []string{"items"}, stop)
	w.enqueue(tb)
	var progress []int
	for range kills {
		w.waitPartPages("items", w.partPages("items")+5+rand.IntN(20), 2*time.Minute)
		i := rand.IntN(len(workers))
		time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond) // somewhere inside a page
		workers[i].kill()
		progress = append(progress, w.partPages("items"))
		workers[i] = w.start("worker")
	}
	w.waitSnapshotDone("items", 6*time.Minute)
	close(stop)
	n := <-changes
	time.Sleep(2 * time.Second) // past settle (1s)
	w.enqueue(tb)
	w.idle(2 * time.Minute)
	fenced, partRuns := 0, 0
	for _, r := range w.runs("items") {
		if r.fenced() {
			fenced++
		}
		if r.trigger == "snapshot" {
			partRuns++
		}
	}
	w.mustEqual("4-part snapshot (first load) taken by 2 worker processes, a worker killed (SIGKILL) at random points and another started each time, the source changing throughout", "items", kills,
		fmt.Sprintf("part pages committed at each kill: %v; %d source changes during the snapshot; %d part runs in the run log, %d of them fenced by a newer claim of their part",
			progress, n, partRuns, fenced))
}

// partPages is the pages the table's snapshot parts have committed.
func (w *world) partPages(name string) int {
	var n int
	if err := w.tgt.QueryRow("SELECT COALESCE(SUM(pages), 0) FROM syncd_snapshot_parts WHERE table_name = ?", name).Scan(&n); err != nil {
		return 0 // no state tables yet
	}
	return n
}

func (w *world) waitPartPages(name string, n int, limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for w.partPages(name) < n {
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: %d part pages after %v, want %d\n%s", name, w.partPages(name), limit, n, w.logTail())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitSnapshotDone waits until the table's snapshot is done.
func (w *world) waitSnapshotDone(name string, limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var status string
		_ = w.tgt.QueryRow("SELECT status FROM syncd_snapshots WHERE table_name = ?", name).Scan(&status)
		if status == "done" {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: snapshot %q after %v\n%s", name, status, limit, w.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
