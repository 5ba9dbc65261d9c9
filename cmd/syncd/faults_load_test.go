//go:build faults

package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// faultsDuration is how long the scenarios with continuous writes run:
// SYNCD_FAULTS_DURATION, two minutes by default.
func faultsDuration(t *testing.T) time.Duration {
	if s := os.Getenv("SYNCD_FAULTS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		must(t, err)
		return d
	}
	return 2 * time.Minute
}

// writeLoad changes the source tables until stop is closed: updates of
// random rows and new rows, each its own short transaction; it returns
// how many changes it made.
func writeLoad(t *testing.T, db *sql.DB, names []string, stop <-chan struct{}) <-chan int {
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
			name := names[rand.IntN(len(names))]
			var err error
			if rand.IntN(4) == 0 {
				_, err = db.Exec("INSERT INTO src_"+name+" (id, name, qty) VALUES ($1, 'new', 1)", nextID.Add(1))
			} else {
				_, err = db.Exec("UPDATE src_"+name+" SET qty = qty + 1, updated_at = clock_timestamp() WHERE id = $1", 1+rand.IntN(20000))
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

// nextID is the id of the last row a writeLoad inserted.
var nextID atomic.Int64

func init() { nextID.Store(1_000_000) }

// writeFor runs writeLoad for d and returns how many changes it made.
func writeFor(t *testing.T, db *sql.DB, names []string, d time.Duration) int {
	stop := make(chan struct{})
	changes := writeLoad(t, db, names, stop)
	time.Sleep(d)
	close(stop)
	return <-changes
}

// overlaps returns every pair of runs of a table that were under way at
// the same time; a run without an end is taken as still under way.
func (w *world) overlaps(name string) (runs int, overlapping []string) {
	w.t.Helper()
	all := w.runs(name)
	end := func(r runRow) time.Time {
		if r.ended.Valid {
			return r.ended.Time
		}
		return time.Now().Add(time.Hour)
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.started.Before(end(b)) && b.started.Before(end(a)) {
				overlapping = append(overlapping, fmt.Sprintf("runs %d and %d overlap", a.id, b.id))
			}
		}
	}
	return len(all), overlapping
}

// Two workers and two schedulers on the same tables, with the source
// written to all the while: no two runs of one table overlap, and every
// change arrives.
func TestFaultsTwoWorkersTwoSchedulers(t *testing.T) {
	w := newWorld(t, worldOptions{schedule: "@every 1s", batch: 500})
	names := []string{"alpha", "beta", "gamma"}
	for _, n := range names {
		w.table(n, 20000, 100)
	}
	for range 2 {
		w.start("worker")
		w.start("scheduler")
	}
	n := writeFor(t, w.src, names, faultsDuration(t))
	for _, name := range names {
		waitCaughtUp(t, w, name)
	}
	for _, name := range names {
		runs, bad := w.overlaps(name)
		if len(bad) > 0 {
			record(result{Scenario: "two workers and two schedulers, continuous writes: " + name, Times: runs, Result: "overlapping runs", Detail: strings.Join(bad, "; ")})
			t.Errorf("%s: %v", name, bad)
		}
		w.mustEqual("two workers and two schedulers, continuous source writes, table "+name, name, runs,
			fmt.Sprintf("%v of writes (%d changes over 3 tables); %d runs of this table, none overlapping", faultsDuration(t), n, runs))
	}
}

// Source transactions that stay open for 3 s while syncs run every
// second with settle 5s: rows they write carry the transaction's start
// time (now()), older than the cursor by the time they commit, and settle
// is what keeps them from being skipped.
func TestFaultsLongSourceTransactions(t *testing.T) {
	w := longTransactions(t, "5s")
	waitCaughtUp(t, w, "items")
	runs, _ := w.overlaps("items")
	w.mustEqual("source transactions open 3 s each beside short ones (rows stamped with the transaction's start), syncs every 1 s, settle 5 s", "items", w.txs,
		fmt.Sprintf("%d transactions, the long ones of about 206 rows each; %d runs", w.txs, runs))
}

// The same with settle 0s, the control: the suite must see what settle
// prevents, or its "equal" above proves nothing. It fails unless verify
// finds rows lost behind the cursor (stale or missing, not pending).
func TestFaultsLongSourceTransactionsWithoutSettle(t *testing.T) {
	w := longTransactions(t, "0s")
	time.Sleep(5 * time.Second) // several more runs after the last commit
	rep, _ := w.verify("items")
	record(result{Scenario: "control: the same with settle 0s (must lose rows)", Times: w.txs, Rows: rep.SourceRows, Result: verdict(rep),
		Detail: fmt.Sprintf("%d rows left stale or missing behind the cursor (%d different, %d missing; %d pending): what settle is for", rep.Different+rep.Missing, rep.Different, rep.Missing, rep.Pending)})
	if rep.Equal || rep.Different+rep.Missing == 0 {
		t.Fatalf("settle 0s lost no row behind the cursor (%+v): the suite did not show it can see a loss", rep)
	}
}

// longTransactions runs `syncd run` on a 20,000-row table while one
// writer holds transactions open for 3 s each and two others commit short
// ones, for half the faults duration.
func longTransactions(t *testing.T, settle string) *world {
	w := newWorld(t, worldOptions{schedule: "@every 1s", settle: settle, batch: 500})
	w.table("items", 20000, 100)
	w.start("run")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	txs := 0
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx := context.Background()
				tx, err := w.src.BeginTx(ctx, nil)
				must(t, err)
				// Writer 0 holds each transaction 3 s; the others commit at
				// once, so rows stamped later commit earlier and move the
				// cursor past the long transaction's rows before they exist.
				if g == 0 {
					_, err = tx.Exec(`UPDATE src_items SET qty = qty + 1, updated_at = now() WHERE id % 97 = $1`, i%97)
					if err == nil {
						_, err = tx.Exec(`SELECT pg_sleep(3)`)
					}
				} else {
					_, err = tx.Exec(`UPDATE src_items SET qty = qty + 1, updated_at = now() WHERE id = $1`, 1+rand.IntN(20000))
					if err == nil {
						_, err = tx.Exec(`SELECT pg_sleep(0.05)`)
					}
				}
				if err == nil {
					err = tx.Commit()
				} else {
					_ = tx.Rollback()
				}
				if err != nil {
					t.Errorf("long transaction: %v", err)
					return
				}
				mu.Lock()
				txs++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(faultsDuration(t) / 2)
	close(stop)
	wg.Wait()
	w.txs = txs
	return w
}

// Bad rows mixed into good ones at 1%: every good row arrives, every bad
// row is in syncd_rejects, and once the target column is widened the next
// run brings them too.
func TestFaultsBadRows(t *testing.T) {
	w := newWorld(t, worldOptions{batch: 1000})
	w.table("items", 100000, 20)
	synctest.Exec(t, w.src, `UPDATE src_items SET name = 'a name longer than twenty characters ' || id WHERE id % 100 = 7`)
	w.start("worker")
	tb := w.declaration("items")
	w.enqueue(tb)
	w.idle(3 * time.Minute)
	if rep, _ := w.verify("items"); rep.Pending != 0 {
		t.Fatalf("the run with bad rows stopped early: %d rows pending (%+v)", rep.Pending, rep)
	}
	var rejected, wrong int64
	must(t, w.tgt.QueryRow("SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items'").Scan(&rejected))
	must(t, w.tgt.QueryRow(`SELECT COUNT(*) FROM syncd_rejects WHERE table_name = 'items' AND (error NOT LIKE '%Data too long%' OR
		CAST(JSON_UNQUOTE(JSON_EXTRACT(row_key, '$[0]')) AS CHAR) NOT LIKE 'i:%7')`).Scan(&wrong))
	rep, _ := w.verify("items")
	record(result{Scenario: "bad rows at 1% (name too long for the target)", Times: 1, Rows: rep.SourceRows,
		Result: fmt.Sprintf("%d good rows in the target, %d of 1000 bad rows in syncd_rejects", rep.TargetRows, rejected),
		Detail: fmt.Sprintf("verify: %d missing, all of them rejected; %d extra, %d different", rep.Missing, rep.Extra, rep.Different)})
	if rejected != 1000 || wrong != 0 || rep.TargetRows != 99000 || rep.Missing != 1000 || rep.Extra != 0 || rep.Different != 0 {
		t.Fatalf("rejects %d (%d wrong), report %+v; want the 99,000 good rows written and the 1,000 bad ones rejected", rejected, wrong, rep)
	}
	synctest.Exec(t, w.tgt, "ALTER TABLE items MODIFY name VARCHAR(100) NOT NULL")
	w.enqueue(tb)
	w.idle(3 * time.Minute)
	must(t, w.tgt.QueryRow("SELECT COUNT(*) FROM syncd_rejects").Scan(&rejected))
	if rejected != 0 {
		t.Fatalf("%d rejects left after the column was widened and the table enqueued", rejected)
	}
	w.mustEqual("bad rows at 1%, target column widened, table enqueued again", "items", 1, "the 1,000 rejects were read again from the source and written")
}
