//go:build faults

package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// The T-SQL source (Babelfish) under the faults the PostgreSQL source
// meets in faults_kill_test.go, faults_net_test.go and
// faults_snapshot_test.go. Babelfish is shared by every test on the
// machine, so it is never stopped: a scenario kills only the PostgreSQL
// backends serving syncd's own connections, found by the app name its
// DSN gives them, which is what a killed server is to those connections.

// babelfishPG is the PostgreSQL side of the Babelfish behind
// SYNCD_TEST_MSSQL_DSN: SYNCD_TEST_BABELFISH_PG_DSN, else the port the
// start script gives it.
func babelfishPG(t *testing.T) *sql.DB {
	t.Helper()
	dsn := os.Getenv("SYNCD_TEST_BABELFISH_PG_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5433/babelfish_db?sslmode=disable"
	}
	db := synctest.Open(t, "pgx", dsn)
	if err := db.Ping(); err != nil {
		t.Fatalf("the PostgreSQL side of Babelfish at %s: %v (set SYNCD_TEST_BABELFISH_PG_DSN; ../shared/babelfish/README.md)", dsn, err)
	}
	return db
}

// terminateBackends kills (pg_terminate_backend, the backend's SIGTERM)
// every backend of app and returns how many there were and how many of
// them were running a statement.
func terminateBackends(t *testing.T, pg *sql.DB, app string) (all, active int) {
	t.Helper()
	must(t, pg.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'active')
		FROM (SELECT state, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) k`, app).Scan(&all, &active))
	return all, active
}

// mssqlGrow doubles dbo.items n times (new ids above the present ones),
// each doubling one INSERT: on Babelfish its rows share one rowversion.
func (w *world) mssqlGrow(n int) {
	w.t.Helper()
	for range n {
		synctest.Exec(w.t, w.src, `INSERT INTO dbo.items (id, name, body) SELECT id + (SELECT MAX(id) FROM dbo.items), name, body FROM dbo.items`)
	}
}

// The PostgreSQL backends serving syncd's source connections killed at a
// random point inside a page, 5 times, during the first load of an
// 80,000-row T-SQL table: the run fails and is retried from the stored
// position.
func TestFaultsBabelfishBackendKilled(t *testing.T) {
	const kills = 5
	app := synctest.UniqueName("syncd_faults")
	w := newMSSQLWorldWith(t, mssqlWorldOptions{queues: 1, batch: 200, appName: app})
	pg := babelfishPG(t)
	w.mssqlItems()
	w.mssqlGrow(2)
	w.start("worker")
	w.enqueue(w.declaration("items"))
	w.waitPages("items", 5, 2*time.Minute)
	var done []string
	for range kills {
		into := w.midPage("items")
		at := w.pages("items")
		all, active := terminateBackends(t, pg, app)
		done = append(done, fmt.Sprintf("%d backends (%d in a statement) %v into the page after page %d", all, active, into.Round(time.Millisecond), at))
		w.waitPages("items", at+5, 3*time.Minute)
	}
	w.idle(5 * time.Minute)
	failed := w.failedThenOK("items")
	w.mustEqual("the source's PostgreSQL backends under Babelfish (T-SQL source) killed mid-page during a first load", "items", kills,
		fmt.Sprintf("killed: %s; %d failed runs, each retried", strings.Join(done, "; "), failed))
}

// The T-SQL source's connections cut mid-page through a TCP proxy, then
// stalled (half-open: open, passing nothing): a cut fails the run at
// once, a stall after page_timeout (5 s), and the worker retries once the
// network is back.
func TestFaultsBabelfishConnectionCutAndStalled(t *testing.T) {
	var proxy *synctest.Proxy
	w := newMSSQLWorldWith(t, mssqlWorldOptions{queues: 1, batch: 200, pageTimeout: "5s",
		proxy: func(addr string) *synctest.Proxy { proxy = synctest.NewProxy(t, addr); return proxy }})
	w.mssqlItems()
	w.mssqlGrow(2)
	w.start("worker")
	w.enqueue(w.declaration("items"))
	w.waitPages("items", 5, 2*time.Minute)
	into := w.midPage("items")
	at := w.pages("items")
	proxy.Cut()
	time.Sleep(500 * time.Millisecond)
	proxy.Restore()
	w.waitPages("items", at+5, 3*time.Minute)
	done := []string{fmt.Sprintf("cut %v into the page after page %d", into.Round(time.Millisecond), at)}
	before := w.logCount("no answer within page_timeout")
	into = w.midPage("items")
	at = w.pages("items")
	stalled := time.Now()
	proxy.Stall()
	for w.logCount("no answer within page_timeout") == before {
		if time.Since(stalled) > time.Minute {
			proxy.Restore()
			t.Fatalf("the run still hangs a minute after the source stalled (page_timeout 5s)\n%s", w.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(stalled)
	proxy.Restore()
	w.idle(5 * time.Minute)
	failed := w.failedThenOK("items")
	done = append(done, fmt.Sprintf("stalled %v into the page after page %d, run failed after %v", into.Round(time.Millisecond), at, took.Round(100*time.Millisecond)))
	w.mustEqual("the T-SQL source's (Babelfish) connections cut mid-page, then stalled mid-page (half-open)", "items", 2,
		fmt.Sprintf("%s; %d failed runs, each retried; page_timeout 5s", strings.Join(done, "; "), failed))
}

// A 4-part snapshot of a T-SQL table (the first load of 80,000 rows,
// rowversion cursor) taken by 2 worker processes, a worker killed
// (SIGKILL) at a random point 4 times and another started each time,
// while the source keeps changing (updates of rows in every part's range,
// inserts past the last key), as TestFaultsSnapshotWorkersKilled does on
// PostgreSQL.
func TestFaultsBabelfishSnapshotWorkersKilled(t *testing.T) {
	const kills = 4
	w := newMSSQLWorld(t, 1, 200)
	w.mssqlItems()
	w.mssqlGrow(2)
	f, err := os.OpenFile(filepath.Join(w.dir, "tables", "items.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString("snapshot: {parts: 4}\n")
	must(t, err)
	must(t, f.Close())
	tb := w.declaration("items")
	workers := []*proc{w.start("worker"), w.start("worker")}
	stop := make(chan struct{})
	changes := writeLoadTSQL(t, w.src, 80000, stop)
	w.enqueue(tb)
	var progress []int
	for range kills {
		w.waitPartPages("items", w.partPages("items")+5+rand.IntN(20), 3*time.Minute)
		i := rand.IntN(len(workers))
		time.Sleep(time.Duration(rand.IntN(200)) * time.Millisecond) // somewhere inside a page
		workers[i].kill()
		progress = append(progress, w.partPages("items"))
		workers[i] = w.start("worker")
	}
	w.waitSnapshotDone("items", 8*time.Minute)
	close(stop)
	n := <-changes
	w.enqueue(tb)
	w.idle(3 * time.Minute)
	fenced, partRuns := 0, 0
	for _, r := range w.runs("items") {
		if r.fenced() {
			fenced++
		}
		if r.trigger == "snapshot" {
			partRuns++
		}
	}
	w.mustEqual("4-part snapshot of a T-SQL table (Babelfish, rowversion cursor) taken by 2 worker processes, a worker killed (SIGKILL) at random points and another started each time, the source changing throughout", "items", kills,
		fmt.Sprintf("part pages committed at each kill: %v; %d source changes during the snapshot; %d part runs in the run log, %d of them fenced by a newer claim of their part",
			progress, n, partRuns, fenced))
}

// writeLoadTSQL is writeLoad on dbo.items of a T-SQL source: updates of
// random rows among the first rows (each moves its rowversion) and new
// rows past the last key.
func writeLoadTSQL(t *testing.T, db *sql.DB, rows int, stop <-chan struct{}) <-chan int {
	done := make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			var err error
			if rand.IntN(4) == 0 {
				_, err = db.Exec("INSERT INTO dbo.items (id, name) VALUES (@p1, N'new')", nextID.Add(1))
			} else {
				_, err = db.Exec("UPDATE dbo.items SET name = CONCAT(N'changed ', @p1) WHERE id = @p2", n, 1+rand.IntN(rows))
			}
			if err != nil {
				t.Errorf("source write: %v", err)
			}
			n++
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return done
}
