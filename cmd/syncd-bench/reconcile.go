package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"syscall"
)

// The reconcile stage: a table of N rows synced, then in each run 0.1% of
// its rows deleted and 0.1% changed behind the cursor (updated_at left as
// it was), and three ways of finding that out timed one after the other:
// syncd verify (read only), the naive key comparison (read only: every
// key of both sides, the source's held in a map, as scripts and Sling's
// delete_missing do; it finds the deletes, not the changes), and syncd
// reconcile (finds both and repairs them).

// Markers of the reconcile stage's own part, written by -only-reconcile.
const (
	beginReconcileMark = "<!-- syncd-bench -only-reconcile: generated, do not edit by hand -->"
	endReconcileMark   = "<!-- syncd-bench -only-reconcile: end -->"
)

// reconcileSize is the stage's figures at one table size.
type reconcileSize struct {
	n                         int
	verify, naive, reconcile  measure
	deletedPerRun, changedRun int64
}

// reconcileStage measures each size of -reconcile, largest first.
func (b *bench) reconcileStage(ctx context.Context) error {
	for _, n := range b.o.reconcileSizes {
		r, err := b.reconcileAt(ctx, n)
		if err != nil {
			return fmt.Errorf("reconcile stage, %d rows: %w", n, err)
		}
		b.results.reconciles = append(b.results.reconciles, r)
	}
	return nil
}

// reconcileAt loads a table of n rows, then drifts and measures it runs
// times; it ends with the table equal to its source (checked by verify).
func (b *bench) reconcileAt(ctx context.Context, n int) (reconcileSize, error) {
	r := reconcileSize{n: n}
	r.verify = measure{name: "syncd verify", rows: int64(n), note: "read only"}
	r.naive = measure{name: "naive: every key of both sides", rows: int64(n), note: "read only; deletes only"}
	r.reconcile = measure{name: "syncd reconcile", rows: int64(n), note: "finds and repairs"}
	log.Printf("reconcile stage: generating and loading %d rows (not timed)", n)
	if err := generate(ctx, b.o.pgBench, n, b.o.later); err != nil {
		return r, err
	}
	if err := freshTarget(ctx, b.my, "items"); err != nil {
		return r, err
	}
	if c, err := runSyncd(ctx, b.o.syncd, b.config); err != nil || c.inserted != int64(n) {
		return r, fmt.Errorf("first load: %v (%d rows inserted)", err, c.inserted)
	}
	for i := 1; i <= b.o.runs; i++ {
		log.Printf("reconcile stage, %d rows, run %d/%d: verify, naive keys, reconcile", n, i, b.o.runs)
		del, chg, err := driftSource(ctx, b.pg, i)
		if err != nil {
			return r, err
		}
		r.deletedPerRun, r.changedRun = del, chg
		if err := b.measureDrift(ctx, &r, del, chg); err != nil {
			return r, err
		}
	}
	if _, code, _, err := runChild(ctx, b.o.syncd, "verify", "bench_items", "--config", b.config); err != nil || code != 0 {
		return r, fmt.Errorf("verify after the last reconcile: exit %d, %v", code, err)
	}
	return r, nil
}

// measureDrift times verify, the naive comparison and reconcile of one
// drift of del deleted and chg changed rows, and checks what each found.
func (b *bench) measureDrift(ctx context.Context, r *reconcileSize, del, chg int64) error {
	var v struct{ Extra, Different int64 }
	if err := b.timedChild(ctx, &r.verify, &v, 1, b.o.syncd, "verify", "bench_items", "--json", "--config", b.config); err != nil {
		return err
	}
	if v.Extra != del || v.Different != chg {
		return fmt.Errorf("verify found %d extra and %d different rows, want %d and %d", v.Extra, v.Different, del, chg)
	}
	var k struct{ Gone int64 }
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := b.timedChild(ctx, &r.naive, &k, 0, self, "-naive-keys", "-pg", b.o.pgBench, "-mysql", b.o.myBench); err != nil {
		return err
	}
	if k.Gone != del {
		return fmt.Errorf("the naive comparison found %d keys gone, want %d", k.Gone, del)
	}
	var rc struct {
		Deleted  int64
		Repaired struct{ Updated int64 }
	}
	if err := b.timedChild(ctx, &r.reconcile, &rc, 0, b.o.syncd, "reconcile", "bench_items", "--json", "--config", b.config); err != nil {
		return err
	}
	if rc.Deleted != del || rc.Repaired.Updated != chg {
		return fmt.Errorf("reconcile deleted %d and updated %d rows, want %d and %d", rc.Deleted, rc.Repaired.Updated, del, chg)
	}
	return nil
}

// driftSource deletes the rows whose id is 2i modulo 1000 and changes
// those at 2i+1 without moving their cursor: 0.1% each, other rows at
// every run.
func driftSource(ctx context.Context, pg *sql.DB, i int) (deleted, changed int64, err error) {
	res, err := pg.ExecContext(ctx, "DELETE FROM items WHERE id % 1000 = $1", 2*i)
	if err == nil {
		deleted, err = res.RowsAffected()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("delete 0.1%% of the source: %w", err)
	}
	res, err = pg.ExecContext(ctx, "UPDATE items SET note = 'changed behind the cursor', qty = qty + 1 WHERE id % 1000 = $1", 2*i+1)
	if err == nil {
		changed, err = res.RowsAffected()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("change 0.1%% of the source: %w", err)
	}
	return deleted, changed, nil
}

// timedChild times a child process into m, with its peak RSS, and reads
// its JSON output into out; okCode is another exit code than 0 that is
// not a failure (verify's when it found differences).
func (b *bench) timedChild(ctx context.Context, m *measure, out any, okCode int, bin string, args ...string) error {
	var stdout []byte
	var rss int64
	err := b.timed(m, func() error {
		var code int
		var err error
		stdout, code, rss, err = runChild(ctx, bin, args...)
		if err == nil && code != 0 && code != okCode {
			err = fmt.Errorf("%s %s: exit %d", bin, args[0], code)
		}
		return err
	})
	if err != nil {
		return err
	}
	m.rss = append(m.rss, rss)
	if err := json.Unmarshal(bytes.TrimSpace(stdout), out); err != nil {
		return fmt.Errorf("%s %s printed no JSON: %w: %s", bin, args[0], err, lastLines(stdout, 3))
	}
	return nil
}

// runChild runs bin with args and returns its output, exit code and peak
// RSS in bytes.
func runChild(ctx context.Context, bin string, args ...string) (stdout []byte, code int, rss int64, err error) {
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		code, err = exit.ExitCode(), nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w: %s", bin, err, lastLines(e.Bytes(), 5))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return o.Bytes(), code, rss, nil
}

// naiveKeys is the baseline, run as a child process (-naive-keys) so that
// its peak RSS is its own: it reads every source key into a set, then
// every target key, and prints how many target keys the source lacks.
func naiveKeys(ctx context.Context, pgDSN, myDSN string) error {
	pg, err := sql.Open("pgx", pgDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	my, err := sql.Open("mysql", myDSN)
	if err != nil {
		return err
	}
	defer my.Close()
	src := map[int64]struct{}{}
	if err := eachKey(ctx, pg, func(id int64) { src[id] = struct{}{} }); err != nil {
		return fmt.Errorf("source keys: %w", err)
	}
	var gone int64
	if err := eachKey(ctx, my, func(id int64) {
		if _, ok := src[id]; !ok {
			gone++
		}
	}); err != nil {
		return fmt.Errorf("target keys: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(struct {
		Gone int64 `json:"gone"`
	}{gone})
}

func eachKey(ctx context.Context, db *sql.DB, fn func(int64)) error {
	rows, err := db.QueryContext(ctx, "SELECT id FROM items")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		fn(id)
	}
	return rows.Err()
}

// writeReconcile prints the stage's table and its ratios.
func (r results) writeReconcile(w io.Writer) {
	if len(r.reconciles) == 0 {
		return
	}
	fmt.Fprintln(w, "\n### Reconcile: 0.1% of rows deleted and 0.1% changed behind the cursor")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| rows (N) | measurement | runs | seconds min / median / max | vs verify (median) | peak RSS (median) |")
	fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: |")
	for _, s := range r.reconciles {
		for _, m := range []measure{s.verify, s.naive, s.reconcile} {
			fmt.Fprintf(w, "| %d | %s (%s) | %d | %s | %.2f | %s |\n", s.n, m.name, m.note, len(m.times), m.timesText(),
				ratio(m.median().Seconds(), s.verify.median().Seconds()), m.rssText())
		}
	}
	fmt.Fprintln(w)
	for _, s := range r.reconciles {
		fmt.Fprintf(w, "- N = %d (%d deleted, %d changed per run): reconcile / verify time **%.2f** (goal: 2 or less); reconcile / naive keys time %.2f; peak RSS reconcile %s, verify %s, naive %s\n",
			s.n, s.deletedPerRun, s.changedRun, ratio(s.reconcile.median().Seconds(), s.verify.median().Seconds()),
			ratio(s.reconcile.median().Seconds(), s.naive.median().Seconds()), s.reconcile.rssText(), s.verify.rssText(), s.naive.rssText())
	}
}
