package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// manyStage is one measurement of the many-tables stage: n tables synced
// by one `syncd run`: with kept setups, or one of the baselines.
type manyStage struct {
	tables int
	mode   manyMode
	window time.Duration
	// runs counts the runs that ended in the window: listed in syncd_runs
	// and folded into syncd_state.
	runs, listed, folded int64
	syncdCPU, serverCPU  time.Duration
	// serverIdle is the target server's CPU per second of wall time with
	// no syncd running, just before: the other clients of a shared server,
	// taken off the windows' figures.
	serverIdle float64
	// quiet is the window before the churn, when every run is empty.
	quiet                   time.Duration
	quietRuns               int64
	quietSyncd, quietServer time.Duration
	fresh                   []time.Duration
	changes                 int
	// statusMs are the times of GET /api/tables and GET /, with the
	// history the stage made.
	apiMs, pageMs []float64
	history       int64
	load          string
}

// manyTables runs the many-tables stage for each count of -many: the
// tables are made once per count, synced first with kept setups, then by
// the baseline (-no-setup-cache: every run sets its table up again and is
// listed), each measured over -many-window after catching up.
func (b *bench) manyTables(ctx context.Context) error {
	for _, n := range b.o.many {
		if err := b.manySource(ctx, n); err != nil {
			return err
		}
		if err := b.manyTarget(ctx, n); err != nil {
			return err
		}
		for _, mode := range b.manyModes() {
			s, err := b.manyRun(ctx, n, mode)
			if err != nil {
				return err
			}
			b.results.many = append(b.results.many, s)
			log.Printf("many tables: %d, %s: %.2f ms syncd CPU per empty run, %.2f ms MariaDB (net), %d runs in the churn window, freshness p99 %.2f s",
				n, mode, perRun(s.quietSyncd, s.quietRuns), perRun(s.net(s.quietServer, s.quiet), s.quietRuns), s.runs, percentile(s.fresh, 99).Seconds())
		}
	}
	return nil
}

// manySource makes tables m_1..m_n of -many-rows rows each in the source.
func (b *bench) manySource(ctx context.Context, n int) error {
	log.Printf("many tables: making %d source tables of %d rows", n, b.o.manyRows)
	for i := 1; i <= n; i++ {
		for _, q := range []string{
			fmt.Sprintf("DROP TABLE IF EXISTS m_%d", i),
			fmt.Sprintf("CREATE TABLE m_%d (id bigint PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL DEFAULT clock_timestamp())", i),
			fmt.Sprintf("CREATE INDEX m_%d_cursor ON m_%d (updated_at, id)", i, i),
			fmt.Sprintf("INSERT INTO m_%d SELECT g, 'start', localtimestamp - interval '1 hour' FROM generate_series(1, %d) g", i, b.o.manyRows),
		} {
			if _, err := b.pg.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("many tables source: %w", err)
			}
		}
	}
	return nil
}

// manyTarget makes the target tables, with a synced_at column syncd does
// not write: the server stamps it when a change arrives, which times each
// change without reading the target while the stage runs. The state
// tables of an earlier count go.
func (b *bench) manyTarget(ctx context.Context, n int) error {
	for _, q := range []string{"DROP TABLE IF EXISTS syncd_state, syncd_runs, syncd_rejects, syncd_schema"} {
		if _, err := b.my.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("many tables target: %w", err)
		}
	}
	for i := 1; i <= n; i++ {
		for _, q := range []string{
			fmt.Sprintf("DROP TABLE IF EXISTS m_%d", i),
			fmt.Sprintf("CREATE TABLE m_%d (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, updated_at DATETIME(6) NOT NULL, "+
				"synced_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))", i),
		} {
			if _, err := b.my.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("many tables target: %w", err)
			}
		}
	}
	return nil
}

// manyConfig writes the config of n tables at -many-every, with the HTTP
// server on listen.
func (b *bench) manyConfig(dir string, n int, queue, listen string) (string, error) {
	cfg := fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: %q}
  dst: {driver: mysql, dsn: %q}
target: dst
defaults: {schedule: "@every %v", settle: %v, queue: %s}
redis: {addr: %q}
worker: {concurrency: %d, queues: {%s: 1}, shutdown_timeout: 5s}
http: {listen: %q}
log: {level: warn, format: json}
`, b.o.pgBench, b.o.myConfig, b.o.manyEvery, manySettle, queue, b.o.redis, b.o.manyConcurrency, queue, listen)
	if err := os.MkdirAll(filepath.Join(dir, "tables"), 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "syncd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return "", err
	}
	for i := 1; i <= n; i++ {
		decl := fmt.Sprintf("source: {connection: src, table: public.m_%d, key: [id], cursor: updated_at}\ntarget: {table: m_%d, columns: {id: id, name: name, updated_at: updated_at}}\n", i, i)
		if err := os.WriteFile(filepath.Join(dir, "tables", fmt.Sprintf("m_%d.yaml", i)), []byte(decl), 0o644); err != nil {
			return "", err
		}
	}
	return path, nil
}

// manyMode is how the stage's syncd runs.
type manyMode int

const (
	manyKept    manyMode = iota // kept setups, folded runs
	manyNoCache                 // the same binary with -no-setup-cache
	manyBefore                  // another binary: -many-before, built before kept setups
)

func (m manyMode) String() string {
	return [...]string{"kept setups", "baseline: -no-setup-cache", "before: -many-before binary"}[m]
}

// manyModes are the modes -many-baseline and -many-before ask for.
func (b *bench) manyModes() []manyMode {
	modes := []manyMode{manyKept}
	if b.o.manyBaseline {
		modes = append(modes, manyNoCache)
	}
	if b.o.manyBefore != "" {
		modes = append(modes, manyBefore)
	}
	return modes
}

// manySettle is the settle of every table of the stage.
const manySettle = time.Second

// manyRun starts `syncd run` on n tables, waits until each has caught up,
// then measures one window of light churn.
func (b *bench) manyRun(ctx context.Context, n int, mode manyMode) (manyStage, error) {
	s := manyStage{tables: n, mode: mode}
	log.Printf("many tables: %d tables at @every %v, %s", n, b.o.manyEvery, mode)
	queue := fmt.Sprintf("syncd_bench_many_%d", os.Getpid())
	listen, err := freeAddr()
	if err != nil {
		return s, err
	}
	config, err := b.manyConfig(filepath.Join(b.tmp, fmt.Sprintf("many-%d-%d", n, mode)), n, queue, listen)
	if err != nil {
		return s, err
	}
	logFile, err := os.Create(filepath.Join(b.tmp, fmt.Sprintf("many-%d-%d.log", n, mode)))
	if err != nil {
		return s, err
	}
	defer logFile.Close()
	args := []string{"run", "--config", config, "--log-format", "json"}
	bin := b.o.syncd
	switch mode {
	case manyNoCache:
		args = append(args, "--no-setup-cache")
	case manyBefore:
		bin = b.o.manyBefore
	}
	if s.serverIdle, err = b.serverIdleRate(ctx); err != nil {
		return s, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return s, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		dropQueue(b.o.redis, queue)
	}()
	if err := b.manyCaughtUp(ctx, n); err != nil {
		return s, fmt.Errorf("many tables: %w (log %s)", err, logFile.Name())
	}
	if err := b.manyWindow(ctx, &s, cmd.Process.Pid); err != nil {
		return s, fmt.Errorf("many tables: %w (log %s)", err, logFile.Name())
	}
	if mode == manyKept {
		if err := b.manyStatus(ctx, &s, "http://"+listen); err != nil {
			return s, fmt.Errorf("many tables: %w (log %s)", err, logFile.Name())
		}
	}
	return s, nil
}

// manyCaughtUp waits until every table has a cursor and every row is in
// the target, then one interval more, so the window sees steady state.
func (b *bench) manyCaughtUp(ctx context.Context, n int) error {
	deadline := time.Now().Add(b.o.manyWarmup)
	for {
		var got int
		err := b.my.QueryRowContext(ctx, "SELECT COUNT(*) FROM syncd_state WHERE cursor_value IS NOT NULL").Scan(&got)
		if err == nil && got == n {
			return sleepCtx(ctx, b.o.manyEvery+manySettle)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d tables caught up after %v", got, n, b.o.manyWarmup)
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// runCounts returns the runs listed in syncd_runs (its largest id) and
// folded into syncd_state so far.
func (b *bench) runCounts(ctx context.Context) (listed, folded int64, err error) {
	var id, f sql.NullInt64
	if err := b.my.QueryRowContext(ctx, "SELECT (SELECT MAX(id) FROM syncd_runs), (SELECT SUM(empty_runs) FROM syncd_state)").Scan(&id, &f); err != nil {
		return 0, 0, err
	}
	return id.Int64, f.Int64, nil
}

// manyWindow measures one window: CPU of syncd and of the target server,
// runs, and the delay of each change made at -many-churn a second.
func (b *bench) manyWindow(ctx context.Context, s *manyStage, pid int) error {
	s.load = loadAverage()
	if err := b.quietWindow(ctx, s, pid); err != nil {
		return err
	}
	listed0, folded0, err := b.runCounts(ctx)
	if err != nil {
		return err
	}
	syncd0, server0 := procCPU(pid), b.serverCPUNow()
	start := time.Now()
	changes, err := b.churn(ctx, s.tables, b.o.manyWindow)
	if err != nil {
		return err
	}
	s.window = time.Since(start)
	s.syncdCPU, s.serverCPU = procCPU(pid)-syncd0, b.serverCPUNow()-server0
	listed1, folded1, err := b.runCounts(ctx)
	if err != nil {
		return err
	}
	s.listed, s.folded = listed1-listed0, folded1-folded0
	s.runs = s.listed + s.folded
	s.changes = len(changes)
	// The last changes need up to an interval and the settle to arrive.
	if err := sleepCtx(ctx, b.o.manyEvery+manySettle+time.Second); err != nil {
		return err
	}
	s.fresh, err = b.delays(ctx, changes)
	return err
}

// quietWindow measures the CPU of runs that find nothing: half a window
// with no change in any source table.
func (b *bench) quietWindow(ctx context.Context, s *manyStage, pid int) error {
	listed0, folded0, err := b.runCounts(ctx)
	if err != nil {
		return err
	}
	syncd0, server0, start := procCPU(pid), b.serverCPUNow(), time.Now()
	if err := sleepCtx(ctx, b.o.manyWindow/2); err != nil {
		return err
	}
	s.quiet = time.Since(start)
	s.quietSyncd, s.quietServer = procCPU(pid)-syncd0, b.serverCPUNow()-server0
	listed1, folded1, err := b.runCounts(ctx)
	s.quietRuns = listed1 - listed0 + folded1 - folded0
	return err
}

// serverIdleRate is the target server's CPU per second over 10 s (half
// the window, when shorter) with no syncd running.
func (b *bench) serverIdleRate(ctx context.Context) (float64, error) {
	cpu0, start := b.serverCPUNow(), time.Now()
	if err := sleepCtx(ctx, min(10*time.Second, b.o.manyWindow/2)); err != nil {
		return 0, err
	}
	return (b.serverCPUNow() - cpu0).Seconds() / time.Since(start).Seconds(), nil
}

// net is a window's server CPU less what the other clients used.
func (s manyStage) net(cpu, window time.Duration) time.Duration {
	return max(0, cpu-time.Duration(s.serverIdle*float64(window)))
}

func (b *bench) serverCPUNow() time.Duration {
	if b.cpu == nil {
		return 0
	}
	return b.cpu()
}

// procCPU returns the CPU time (user and system) of process pid so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	// utime and stime, in clock ticks of 10 ms; a field that does not
	// parse reads 0, which the report shows as no CPU at all.
	u, uerr := strconv.ParseInt(f[11], 10, 64)
	s, serr := strconv.ParseInt(f[12], 10, 64)
	if uerr != nil || serr != nil {
		return 0
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}

// loadAverage is the machine's load average, as uptime says it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
