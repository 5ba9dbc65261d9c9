//go:build faults

// The fault-injection suite (make test-faults): the syncd binary against
// real servers, with workers killed and frozen past their lease, the
// target and the source servers killed and restarted (on the T-SQL
// source, the backends serving syncd), connections cut and stalled, Redis stopped and flushed, the source clock stepping back,
// the target's disk full, two workers and two schedulers at once, long
// source transactions, and bad rows. Every scenario ends with `syncd
// verify` finding the whole table equal to its source with nothing
// pending. A scenario that kills, stalls or fills a server starts a
// server of its own for it (faults_servers_test.go); the machine's
// shared servers are only ever used through databases of the test's own,
// so the suite can run beside `make test`. With SYNCD_FAULTS_REPORT set it
// writes its results there as Markdown.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// syncdBin is the binary under test, built once by TestMain.
var syncdBin string

// result is one line of the report.
type result struct {
	Scenario string
	Times    int
	Rows     int64
	Result   string
	Detail   string
}

var (
	resultsMu sync.Mutex
	results   []result
)

func record(r result) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results = append(results, r)
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "syncd-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	syncdBin = filepath.Join(dir, "syncd")
	if out, err := exec.Command("go", "build", "-o", syncdBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build syncd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if path := os.Getenv("SYNCD_FAULTS_REPORT"); path != "" {
		if err := writeReport(path); err != nil {
			fmt.Fprintln(os.Stderr, "write report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func writeReport(path string) error {
	var b bytes.Buffer
	b.WriteString("# Reliability: the fault-injection suite\n\n")
	b.WriteString("Written by the suite itself (`cmd/syncd/faults_test.go`), with:\n\n")
	b.WriteString("```sh\nmake test-faults\n```\n\n")
	fmt.Fprintf(&b, "Last run: %s, %d cores, %s. PostgreSQL 15 is the source (a T-SQL server, Babelfish, where the scenario names SQL Server, T-SQL or Babelfish) and MariaDB 10.11 the target: a database of the scenario's own on the machine's servers, or, where a scenario kills, stalls or fills a server, a server of its own started for it (the machine's servers are never touched; the shared Babelfish is never stopped: a scenario kills only the PostgreSQL backends serving syncd's own connections); each scenario has a Redis 7 of its own. Every scenario ends with `syncd verify` comparing every row and column of the table with its source; \"equal\" means no row missing, extra, different or duplicate, the row counts agree, and nothing pending (no source row after the stored cursor left to bring).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.Version())
	b.WriteString("| scenario | times | rows | result | detail |\n|---|---:|---:|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s |\n", r.Scenario, r.Times, r.Rows, r.Result, r.Detail)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// world is one scenario's servers, config and processes.
type world struct {
	t        *testing.T
	dir      string
	cfgPath  string
	src, tgt *sql.DB // straight to the servers, never through a proxy
	srcDSN   string
	redis    string
	redisCmd *exec.Cmd
	queues   []string
	procs    []*proc
	txs      int // long transactions committed
}

type worldOptions struct {
	queues   int    // worker queues (q0..qN-1); 1 by default
	schedule string // of every table; "@daily" by default
	settle   string
	batch    int
	// source and target are private servers to use instead of databases
	// on the machine's servers.
	source, target *server
	// srcProxy and tgtProxy, when set, stand between syncd and the servers.
	srcProxy, tgtProxy func(addr string) *synctest.Proxy
	pageTimeout        string // "10m" by default
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	pg, my := worldDSNs(t, o)
	w := &world{t: t, dir: t.TempDir(), src: synctest.Open(t, "pgx", pg), tgt: synctest.Open(t, "mysql", my), srcDSN: pg}
	pg, my = viaProxies(pg, my, o)
	w.redis, w.redisCmd = startRedis(t)
	if o.pageTimeout == "" {
		o.pageTimeout = "10m"
	}
	if o.queues == 0 {
		o.queues = 1
	}
	if o.schedule == "" {
		o.schedule = "@daily"
	}
	if o.settle == "" {
		o.settle = "1s"
	}
	if o.batch == 0 {
		o.batch = 2000
	}
	var qs []string
	for i := range o.queues {
		w.queues = append(w.queues, fmt.Sprintf("q%d", i))
		qs = append(qs, fmt.Sprintf("q%d: 1", i))
	}
	must(t, os.Mkdir(filepath.Join(w.dir, "tables"), 0o755))
	w.cfgPath = filepath.Join(w.dir, "syncd.yaml")
	must(t, os.WriteFile(w.cfgPath, []byte(fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {queue: q0, schedule: %q, settle: %s, batch_size: %d, page_timeout: %s}
redis: %s
worker: {concurrency: 4, queues: {%s}, shutdown_timeout: 5s}
http: {listen: ""}
log: {level: info, format: json}
`, pg, my, o.schedule, o.settle, o.batch, o.pageTimeout, synctest.RedisYAML(w.redis), strings.Join(qs, ", "))), 0o644))
	t.Cleanup(func() {
		for _, p := range w.procs {
			p.kill()
		}
	})
	return w
}

// worldDSNs returns the DSNs of the world's source and target databases:
// on its private servers, or new databases on the machine's servers.
func worldDSNs(t *testing.T, o worldOptions) (pg, my string) {
	if o.source != nil {
		pg = o.source.dsn
	} else {
		pg = synctest.Postgres(t)
	}
	if o.target != nil {
		my = o.target.dsn
	} else {
		_, my = synctest.MariaDB(t)
	}
	return pg, my
}

// viaProxies points the DSNs at the proxies of o, when it has any.
func viaProxies(pg, my string, o worldOptions) (string, string) {
	if o.srcProxy != nil {
		addr := hostPort(pg[strings.Index(pg, "@")+1:])
		pg = strings.Replace(pg, addr, o.srcProxy(addr).Addr(), 1)
	}
	if o.tgtProxy != nil {
		addr := hostPort(my[strings.Index(my, "tcp(")+4:])
		my = strings.Replace(my, addr, o.tgtProxy(addr).Addr(), 1)
	}
	return pg, my
}

// hostPort returns the host:port that s starts with.
func hostPort(s string) string {
	if i := strings.IndexAny(s, "/)"); i >= 0 {
		return s[:i]
	}
	return s
}

// table creates source table src_NAME with rows and target table NAME,
// and declares it.
func (w *world) table(name string, rows int, nameWidth int) {
	w.t.Helper()
	synctest.Exec(w.t, w.src,
		`CREATE TABLE src_`+name+` (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, updated_at timestamp(6) NOT NULL DEFAULT clock_timestamp())`,
		`CREATE INDEX src_`+name+`_cursor ON src_`+name+` (updated_at, id)`,
		fmt.Sprintf(`INSERT INTO src_%s SELECT i, 'row ' || i, i %% 100, localtimestamp - interval '1 hour' + i * interval '1 microsecond' FROM generate_series(1, %d) i`, name, rows))
	synctest.Exec(w.t, w.tgt, fmt.Sprintf(`CREATE TABLE %s (id BIGINT PRIMARY KEY, name VARCHAR(%d) NOT NULL, qty INT NOT NULL, updated_at DATETIME(6) NOT NULL)`, name, nameWidth))
	must(w.t, os.WriteFile(filepath.Join(w.dir, "tables", name+".yaml"), []byte(
		"source: {connection: src, table: src_"+name+", key: [id], cursor: updated_at}\ntarget: {table: "+name+"}\n"), 0o644))
}

// proc is a syncd process a scenario started; done is closed when it
// has exited.
type proc struct {
	*exec.Cmd
	done chan struct{}
}

// start starts `syncd ARGS...` with the world's config, logging to a file.
func (w *world) start(args ...string) *proc {
	w.t.Helper()
	log, err := os.OpenFile(filepath.Join(w.dir, "syncd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	must(w.t, err)
	p := &proc{Cmd: exec.Command(syncdBin, append([]string{"-c", w.cfgPath}, args...)...), done: make(chan struct{})}
	p.Stdout, p.Stderr = log, log
	must(w.t, p.Start())
	w.procs = append(w.procs, p)
	go func() { _ = p.Wait(); log.Close(); close(p.done) }()
	return p
}

// kill kills a syncd process with SIGKILL and waits until it is gone.
func (p *proc) kill() {
	_ = p.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// syncd runs a syncd command to its end and returns its output and exit
// code.
func (w *world) syncd(args ...string) (string, int) {
	cmd := exec.Command(syncdBin, append([]string{"-c", w.cfgPath}, args...)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		w.t.Fatalf("syncd %v: %v", args, err)
	}
	return string(out), 0
}

func (w *world) declaration(name string) tables.Table {
	w.t.Helper()
	cfg, err := tables.LoadConfig(w.cfgPath)
	must(w.t, err)
	tb, err := tables.LoadTable(filepath.Join(w.dir, "tables", name+".yaml"), cfg)
	must(w.t, err)
	return tb
}

func (w *world) inspector() *asynq.Inspector {
	in := asynq.NewInspector(synctest.RedisOpt(w.redis))
	w.t.Cleanup(func() { in.Close() })
	return in
}

// idle waits until no task is left in any queue of the world; an archived
// task fails the scenario.
func (w *world) idle(limit time.Duration) {
	w.t.Helper()
	in := w.inspector()
	deadline := time.Now().Add(limit)
	for {
		busy := ""
		for _, q := range w.queues {
			info, err := in.GetQueueInfo(q)
			if err != nil {
				continue // a queue never used does not exist
			}
			if info.Archived > 0 {
				w.t.Fatalf("queue %s has an archived task:\n%s", q, w.logTail())
			}
			if info.Size > 0 {
				busy += fmt.Sprintf(" %s:%d", q, info.Size)
			}
		}
		if busy == "" {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("tasks still queued after %v:%s\n%s", limit, busy, w.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (w *world) logTail() string {
	b, _ := os.ReadFile(filepath.Join(w.dir, "syncd.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// verify runs `syncd verify --json` on a table and returns its report
// and exit code.
func (w *world) verify(name string) (datasync.VerifyReport, int) {
	w.t.Helper()
	out, code := w.syncd("verify", name, "--json")
	var rep datasync.VerifyReport
	line := out
	if i := strings.IndexByte(out, '\n'); i >= 0 {
		line = out[:i]
	}
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		w.t.Fatalf("syncd verify %s: exit %d, %v\n%s", name, code, err, out)
	}
	return rep, code
}

// verdict names the outcome of a verify report.
func verdict(r datasync.VerifyReport) string {
	switch {
	case r.Equal:
		return "equal"
	case r.Missing > 0:
		return "lost"
	case r.Extra > 0 || r.TargetRows > r.SourceRows:
		return "duplicated"
	}
	return "different"
}

// mustEqual verifies a table that has caught up, records the scenario and
// fails it unless the table equals its source with nothing pending: a
// last run that stopped early, with a cursor consistent with the rows it
// wrote, is not caught up.
func (w *world) mustEqual(scenario, name string, times int, detail string) {
	w.t.Helper()
	rep, code := w.verify(name)
	res := verdict(rep)
	if rep.Equal && rep.Pending > 0 {
		res = fmt.Sprintf("equal, but %d rows pending", rep.Pending)
	}
	record(result{Scenario: scenario, Times: times, Rows: rep.SourceRows, Result: res, Detail: detail})
	if !rep.Equal || rep.Pending != 0 || code != 0 {
		w.t.Fatalf("%s: verify exit %d: %+v; want equal with nothing pending\n%s", scenario, code, rep, w.logTail())
	}
}

// pages returns the pages committed to a table so far; 0 before the
// first, and while the target is down.
func (w *world) pages(name string) int64 {
	var n sql.NullInt64
	err := w.tgt.QueryRow("SELECT pages FROM syncd_state WHERE table_name = ?", name).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "doesn't exist") {
		return -1
	}
	return n.Int64
}

// waitPages waits until a table has at least n pages committed.
func (w *world) waitPages(name string, n int64, limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for w.pages(name) < n {
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: %d pages committed after %v, want %d\n%s", name, w.pages(name), limit, n, w.logTail())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// midPage waits until the next page of a table commits, then for a
// random part of the time that page took: a fault injected then lands at
// a random point inside the page after it (reading, writing, committing).
func (w *world) midPage(name string) time.Duration {
	w.t.Helper()
	at := w.pages(name)
	w.waitPages(name, at+1, time.Minute)
	t0 := time.Now()
	w.waitPages(name, at+2, time.Minute)
	d := time.Since(t0)
	into := time.Duration(rand.Int64N(int64(d) + 1))
	time.Sleep(into)
	return into
}

func (w *world) enqueue(tb tables.Table) {
	w.t.Helper()
	enq := queue.NewEnqueuer(synctest.RedisOpt(w.redis))
	defer enq.Close()
	if _, err := enq.Enqueue(context.Background(), tb, datasync.TriggerManual); err != nil {
		w.t.Fatal(err)
	}
}

// waitCaughtUp waits until verify finds the table equal, as the scheduler
// keeps syncing it.
func waitCaughtUp(t *testing.T, w *world, name string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if rep, _ := w.verify(name); rep.Equal && rep.Pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			rep, _ := w.verify(name)
			t.Fatalf("%s not caught up after 3 minutes: %+v\n%s", name, rep, w.logTail())
		}
		time.Sleep(time.Second)
	}
}

// runRow is one row of syncd_runs.
type runRow struct {
	id      int64
	status  string
	err     string
	started time.Time
	ended   sql.NullTime
	trigger string
}

// runs returns a table's runs from syncd_runs, oldest first.
func (w *world) runs(name string) []runRow {
	w.t.Helper()
	rows, err := w.tgt.Query("SELECT id, status, COALESCE(error, ''), started_at, ended_at, `trigger` FROM syncd_runs WHERE table_name = ? ORDER BY id", name)
	must(w.t, err)
	defer rows.Close()
	var out []runRow
	for rows.Next() {
		var r runRow
		must(w.t, rows.Scan(&r.id, &r.status, &r.err, &r.started, &r.ended, &r.trigger))
		out = append(out, r)
	}
	must(w.t, rows.Err())
	return out
}

// fenced reports whether a run ended because a newer run of its table
// took over: its next page found the fencing version raised.
func (r runRow) fenced() bool { return strings.Contains(r.err, datasync.ErrFenced.Error()) }

// failedThenOK checks that a table's run log shows a run that failed and
// a later one that succeeded (the retry), and says how many failed.
func (w *world) failedThenOK(name string) (failed int) {
	w.t.Helper()
	runs := w.runs(name)
	firstFailed := -1
	for i, r := range runs {
		if r.status == "failed" {
			failed++
			if firstFailed < 0 {
				firstFailed = i
			}
		}
	}
	if firstFailed < 0 || runs[len(runs)-1].status != "ok" || len(runs)-1 <= firstFailed {
		w.t.Fatalf("%s: runs %+v; want a failed run and an ok run after it (the retry)", name, runs)
	}
	return failed
}

// logCount counts the lines of the world's syncd log that contain s.
func (w *world) logCount(s string) int {
	b, _ := os.ReadFile(filepath.Join(w.dir, "syncd.log"))
	return strings.Count(string(b), s)
}
