//go:build faults

package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A worker killed with SIGKILL at random points of a 200,000-row first
// load (1,000 pages), 20 times, each time restarted: each round lets the
// load commit a random 5 to 40 more pages, then kills the worker, on
// even rounds just after a page committed, on odd rounds at a random
// point inside the next page (reading, writing, committing). A killed
// worker's task stays "active" in Redis until its lease expires (30 s to
// 90 s); to kill at a new point every time without waiting for that,
// each round enqueues into a queue of its own, so the expired tasks come
// back later and run beside the newer ones: the fencing version has to
// keep them apart, and the run log must show it doing so. The source
// keeps changing until they have all come back, so that they have pages
// to write (a run that writes nothing cannot be fenced).
func TestFaultsWorkerKilled(t *testing.T) {
	const kills = 20
	w := newWorld(t, worldOptions{queues: kills + 1, batch: 200})
	w.table("items", 200000, 100)
	tb := w.declaration("items")
	var progress []int64
	var within []string
	for i := range kills {
		worker := w.start("worker")
		tb.Queue = w.queues[i]
		w.enqueue(tb)
		w.waitPages("items", w.pages("items")+5+int64(rand.IntN(36)), time.Minute)
		if i%2 == 1 {
			within = append(within, w.midPage("items").Round(time.Millisecond).String())
		} else {
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		}
		worker.kill()
		progress = append(progress, w.pages("items"))
	}
	tb.Queue = w.queues[kills]
	w.start("worker")
	w.enqueue(tb)
	stop := make(chan struct{})
	changes := writeLoad(t, w.src, []string{"items"}, stop)
	w.idle(3 * time.Minute)
	close(stop)
	n := <-changes
	time.Sleep(2 * time.Second) // past settle (1s): the last changes are below the next run's upper bound
	w.enqueue(tb)
	w.idle(time.Minute)
	if progress[kills-1] >= 1000 {
		t.Errorf("the load ended before the last kill (pages at each kill: %v)", progress)
	}
	fenced := 0
	for _, r := range w.runs("items") {
		if r.fenced() {
			fenced++
		}
	}
	if fenced == 0 {
		t.Errorf("no run of the table was fenced: the re-delivered tasks never ran beside a newer run, so the scenario shows nothing of fencing\n%s", w.logTail())
	}
	w.mustEqual("worker killed (SIGKILL) at random points of a 200,000-row first load, restarted each time", "items", kills,
		fmt.Sprintf("pages of 1,000 committed at each kill: %v; the odd kills landed this far into a page: %s; %d source changes while the killed workers' tasks came back; %d runs fenced by a newer run of the table (those tasks running beside it)",
			progress, strings.Join(within, ", "), n, fenced))
}

// A worker frozen with SIGSTOP in the middle of a run, past its Asynq
// lease: Asynq hands the task to another worker, which claims the table;
// then the frozen worker resumes (SIGCONT) with its run half done. Two
// handlers of one table run at once, and the stale one must write
// nothing more: it is fenced at its next page (or stopped by Asynq,
// which cancels a handler whose lease it finds expired).
func TestFaultsWorkerFrozenPastItsLease(t *testing.T) {
	w := newWorld(t, worldOptions{batch: 200})
	w.table("items", 200000, 100)
	a := w.start("worker")
	w.enqueue(w.declaration("items"))
	w.waitPages("items", 20, time.Minute)
	into := w.midPage("items")
	must(t, a.Process.Signal(syscall.SIGSTOP))
	frozenAt := w.pages("items")
	stale := w.runs("items")[0]
	w.start("worker")
	// The lease lapses 30 s after the last heartbeat; Asynq's recoverer,
	// once a minute, requeues tasks whose lease lapsed over 30 s ago.
	deadline := time.Now().Add(4 * time.Minute)
	for len(w.runs("items")) < 2 {
		if time.Now().After(deadline) {
			_ = a.Process.Signal(syscall.SIGCONT)
			t.Fatalf("no other worker took the task within 4 minutes\n%s", w.logTail())
		}
		time.Sleep(time.Second)
	}
	must(t, a.Process.Signal(syscall.SIGCONT))
	w.idle(3 * time.Minute)
	runs := w.runs("items")
	stale, newer := runs[0], runs[1]
	how := ""
	switch {
	case stale.fenced():
		how = "fenced at its next page"
	case strings.Contains(stale.err, "context canceled"):
		how = "stopped by Asynq (lease expired) before its next page"
	default:
		t.Fatalf("the frozen run ended %s %q; want it fenced or cancelled", stale.status, stale.err)
	}
	if !stale.ended.Valid || !newer.started.Before(stale.ended.Time) {
		t.Fatalf("runs %+v and %+v did not overlap: not two handlers at once", stale, newer)
	}
	w.mustEqual("worker frozen (SIGSTOP) mid-page past its Asynq lease, another worker took the task, then resumed (SIGCONT)", "items", 1,
		fmt.Sprintf("frozen %v into the page after page %d; the other worker's run started %v after the frozen one and ran beside it; on resuming, the stale run was %s",
			into.Round(time.Millisecond), frozenAt, newer.started.Sub(stale.started).Round(time.Second), how))
}

// The target, a MariaDB server of the scenario's own, killed (SIGKILL)
// at a random point inside a page of a first load, and started again; the
// run fails and the worker retries it.
func TestFaultsMariaDBKilled(t *testing.T) {
	my := privateMariaDB(t)
	killMidPage(t, my, worldOptions{batch: 500, target: my}, "MariaDB (the target) killed (SIGKILL) mid-page and restarted")
}

// The source, a PostgreSQL server of the scenario's own, killed (SIGKILL,
// the postmaster and every backend) at a random point inside a page of a
// first load, and started again (crash recovery); the worker retries.
func TestFaultsPostgresKilled(t *testing.T) {
	pg := privatePostgres(t)
	killMidPage(t, pg, worldOptions{batch: 500, source: pg}, "PostgreSQL (the source) killed (SIGKILL) mid-page and restarted")
}

// killMidPage kills srv, a private server of o, at a random point inside
// a page of a 200,000-row first load, starts it again, and requires a
// failed run, then a retry to the end, and the table equal.
func killMidPage(t *testing.T, srv *server, o worldOptions, scenario string) {
	w := newWorld(t, o)
	w.table("items", 200000, 100)
	w.start("worker")
	w.enqueue(w.declaration("items"))
	w.waitPages("items", 20, time.Minute)
	into := w.midPage("items")
	at := w.pages("items")
	srv.kill()
	time.Sleep(time.Second)
	srv.start()
	w.idle(5 * time.Minute)
	failed := w.failedThenOK("items")
	w.mustEqual(scenario, "items", 1,
		fmt.Sprintf("killed %v into the page after page %d of 400; %d failed runs, then retried to the end", into.Round(time.Millisecond), at, failed))
}

// The target's disk refuses writes in the middle of a first load: a
// MariaDB server of the scenario's own whose InnoDB data files are fixed
// (innodb_file_per_table off, no autoextend; the second one, of 10 MiB,
// is the room for the load), so a page fails with "table is full" (error
// 1114) once they are used up. The runs
// fail and are retried without a row rejected; then the disk "grows" (the
// server restarts with a second data file) and the load completes.
func TestFaultsTargetDiskFull(t *testing.T) {
	my := privateMariaDB(t, "--innodb-file-per-table=0", "--innodb-data-file-path=ibdata1:12M;ibdata2:10M")
	w := newWorld(t, worldOptions{batch: 500, target: my})
	w.table("items", 200000, 100)
	w.start("worker")
	w.enqueue(w.declaration("items"))
	deadline := time.Now().Add(3 * time.Minute)
	for w.logCount("is full") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no page failed for a full disk within 3 minutes (%d pages)\n%s", w.pages("items"), w.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
	at := w.pages("items")
	var rejected int64
	must(t, w.tgt.QueryRow("SELECT COUNT(*) FROM syncd_rejects").Scan(&rejected))
	if rejected != 0 {
		t.Fatalf("%d rows rejected for a full disk; a full disk is no bad row", rejected)
	}
	my.kill()
	my.args = append(my.args, "--innodb-data-file-path=ibdata1:12M;ibdata2:10M;ibdata3:12M:autoextend")
	my.start()
	w.idle(5 * time.Minute)
	failed := w.failedThenOK("items")
	w.mustEqual("the target's disk full mid-page (InnoDB data files fixed, no autoextend), then grown", "items", 1,
		fmt.Sprintf("pages failed with \"table is full\" after page %d of 400, none rejected; %d failed runs; server restarted with one more data file, retried to the end", at, failed))
}
