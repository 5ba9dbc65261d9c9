//go:build faults

package main

import (
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// Connections cut mid-page through TCP proxies, on the source side and
// on the target side, then stalled: the proxy keeps them open and passes
// nothing, as a half-open connection does. A cut fails the run at once;
// a stall must fail it after page_timeout (5 s here), not hang it; each
// time the worker retries once the network is back.
func TestFaultsConnectionsCutAndStalled(t *testing.T) {
	var src, tgt *synctest.Proxy
	w := newWorld(t, worldOptions{batch: 500, pageTimeout: "5s",
		srcProxy: func(addr string) *synctest.Proxy { src = synctest.NewProxy(t, addr); return src },
		tgtProxy: func(addr string) *synctest.Proxy { tgt = synctest.NewProxy(t, addr); return tgt }})
	w.table("items", 200000, 100)
	w.start("worker")
	w.enqueue(w.declaration("items"))
	w.waitPages("items", 10, time.Minute)
	var done []string
	for _, side := range []string{"source", "target"} {
		p := map[string]*synctest.Proxy{"source": src, "target": tgt}[side]
		into := w.midPage("items")
		at := w.pages("items")
		p.Cut()
		time.Sleep(500 * time.Millisecond)
		p.Restore()
		w.waitPages("items", at+5, 3*time.Minute)
		done = append(done, fmt.Sprintf("%s cut %v into the page after page %d", side, into.Round(time.Millisecond), at))
	}
	for _, side := range []string{"source", "target"} {
		p := map[string]*synctest.Proxy{"source": src, "target": tgt}[side]
		before := w.logCount("no answer within page_timeout")
		into := w.midPage("items")
		at := w.pages("items")
		stalled := time.Now()
		p.Stall()
		for w.logCount("no answer within page_timeout") == before {
			if time.Since(stalled) > time.Minute {
				p.Restore()
				t.Fatalf("the run still hangs a minute after the %s stalled (page_timeout 5s)\n%s", side, w.logTail())
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(stalled)
		p.Restore()
		w.waitPages("items", at+5, 3*time.Minute)
		done = append(done, fmt.Sprintf("%s stalled %v into the page after page %d, run failed after %v", side, into.Round(time.Millisecond), at, took.Round(100*time.Millisecond)))
	}
	w.idle(5 * time.Minute)
	failed := w.failedThenOK("items")
	w.mustEqual("connections cut mid-page (source, then target), then stalled mid-page (half-open, source then target)", "items", 4,
		fmt.Sprintf("%s; %d failed runs, each retried; page_timeout 5s", strings.Join(done, "; "), failed))
}

// Redis stopped mid-run and started again empty (it keeps nothing on
// disk), with 4,000 source rows changed while it was down; then flushed
// mid-run: the queue is gone both times, the cursor is not, and the
// scheduler enqueues the table again.
func TestFaultsRedisStoppedAndFlushed(t *testing.T) {
	w := newWorld(t, worldOptions{schedule: "@every 2s", batch: 500})
	w.table("items", 200000, 100)
	w.start("run")
	w.waitPages("items", 20, time.Minute)
	stoppedAt := w.pages("items")
	must(t, w.redisCmd.Process.Signal(syscall.SIGTERM))
	_ = w.redisCmd.Wait()
	synctest.Exec(t, w.src, `UPDATE src_items SET qty = qty + 1, updated_at = clock_timestamp() WHERE id % 50 = 0`)
	time.Sleep(3 * time.Second)
	_, port, _ := strings.Cut(w.redis, ":")
	w.redisCmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	must(t, w.redisCmd.Start())
	t.Cleanup(func() { _ = w.redisCmd.Process.Kill(); _ = w.redisCmd.Wait() })
	waitCaughtUp(t, w, "items")
	w.mustEqual("Redis stopped mid-run, restarted empty", "items", 1, fmt.Sprintf("stopped after page %d; 4,000 rows changed while it was down", stoppedAt))

	synctest.Exec(t, w.src, `UPDATE src_items SET qty = qty + 1, updated_at = clock_timestamp() WHERE id % 3 = 0`)
	for i := 0; i < 100; i++ {
		if out, err := exec.Command("redis-cli", "-p", port, "FLUSHALL").CombinedOutput(); err != nil {
			t.Fatalf("FLUSHALL: %v %s", err, out)
		}
		time.Sleep(30 * time.Millisecond)
	}
	waitCaughtUp(t, w, "items")
	w.mustEqual("Redis flushed (FLUSHALL) 100 times during a run of 66,667 changed rows", "items", 100, "the scheduler enqueued the table again from the cursor in MariaDB")
}

// The source clock steps back an hour between runs, with writes going on:
// the scenario's own PostgreSQL database is set to a time zone an hour
// behind (ALTER DATABASE ... SET timezone), so every new session, the
// writers' and syncd's, reads and stamps wall-clock times an hour
// earlier, as after a wrong NTP step. Rows stamped then fall below the
// stored cursor, where no run reads: syncd cannot bring them by itself,
// but it must say so (a note in the run log and a warning), and the
// rewind it names (`syncd enqueue --from` a time before the step) must
// bring every one of them.
func TestFaultsSourceClockStepsBack(t *testing.T) {
	w := newWorld(t, worldOptions{schedule: "@every 1s"})
	w.table("items", 20000, 100)
	u, err := url.Parse(w.srcDSN)
	must(t, err)
	run := w.start("run")
	n1 := writeFor(t, w.src, []string{"items"}, faultsDuration(t)/4)
	waitCaughtUp(t, w, "items")
	run.kill()

	synctest.Exec(t, w.src, "ALTER DATABASE "+strings.TrimPrefix(u.Path, "/")+" SET timezone TO 'Etc/GMT+1'")
	stepped := synctest.Open(t, "pgx", w.srcDSN) // new sessions: the stepped clock
	var stepAt time.Time
	must(t, stepped.QueryRow("SELECT localtimestamp").Scan(&stepAt))
	w.start("run")
	n2 := writeFor(t, stepped, []string{"items"}, faultsDuration(t)/4)
	var noted int
	must(t, w.tgt.QueryRow("SELECT COUNT(*) FROM syncd_runs WHERE table_name = 'items' AND notes LIKE '%behind the stored cursor%'").Scan(&noted))
	rep, _ := w.verify("items")
	if noted == 0 || rep.Missing+rep.Different == 0 {
		t.Fatalf("after the clock stepped back: %d runs noted it, verify %+v; want notes, and the rows written since below the cursor", noted, rep)
	}
	from := stepAt.Add(-time.Minute).Format("2006-01-02T15:04:05")
	if out, code := w.syncd("enqueue", "items", "--from", from); code != 0 {
		t.Fatalf("syncd enqueue --from %s: exit %d\n%s", from, code, out)
	}
	waitCaughtUp(t, w, "items")
	w.mustEqual("source clock stepped back 1 h between runs, writes going on", "items", 1,
		fmt.Sprintf("%d changes before the step, %d after; %d runs noted the clock behind the cursor; %d rows written after the step were below it (%d missing, %d different) until syncd enqueue --from a minute before the step",
			n1, n2, noted, rep.Missing+rep.Different, rep.Missing, rep.Different))
}
