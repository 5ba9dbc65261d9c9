package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// freshness settings: the schedule and settle of the measured table, the
// figures the goal is stated in.
const (
	freshEvery  = time.Second
	freshSettle = time.Second
	freshRows   = 1000
)

// freshness starts `syncd run` (worker and scheduler) on a small table
// synced every second, changes one row at a time, and times each change
// from its commit in the source to the moment it can be read in the
// target.
func (b *bench) freshness(ctx context.Context) error {
	log.Printf("freshness: %d changes with syncd run at @every %v, settle %v", b.o.freshChanges, freshEvery, freshSettle)
	if _, err := b.pg.ExecContext(ctx, `DROP TABLE IF EXISTS fresh`); err != nil {
		return err
	}
	for _, q := range []string{
		`CREATE TABLE fresh (id bigint PRIMARY KEY, name text NOT NULL, updated_at timestamp(6) NOT NULL DEFAULT clock_timestamp())`,
		`CREATE INDEX fresh_cursor ON fresh (updated_at, id)`,
		fmt.Sprintf(`INSERT INTO fresh SELECT i, 'start', localtimestamp - interval '1 minute' FROM generate_series(1, %d) i`, freshRows),
	} {
		if _, err := b.pg.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("freshness source: %w", err)
		}
	}
	if err := freshTargetTable(ctx, b.my); err != nil {
		return err
	}
	queue := fmt.Sprintf("syncd_bench_fresh_%d", os.Getpid())
	config, err := freshConfig(filepath.Join(b.tmp, "fresh"), b.o.pgBench, b.o.myConfig, b.o.redis, queue)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(b.tmp, "fresh.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, b.o.syncd, "run", "--config", config, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		dropQueue(b.o.redis, queue)
	}()
	if err := waitRows(ctx, b.my, freshRows, time.Minute); err != nil {
		return fmt.Errorf("freshness: first load: %w (log %s)", err, logFile.Name())
	}
	delays, err := b.changeAndWatch(ctx)
	if err != nil {
		return fmt.Errorf("freshness: %w (log %s)", err, logFile.Name())
	}
	b.results.fresh = delays
	return nil
}

func freshTargetTable(ctx context.Context, db *sql.DB) error {
	for _, q := range []string{
		"DROP TABLE IF EXISTS fresh",
		"CREATE TABLE fresh (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, updated_at DATETIME(6) NOT NULL)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("freshness target: %w", err)
		}
	}
	return nil
}

// freshConfig writes the config of the freshness run: its own queue on
// the given Redis, no HTTP server.
func freshConfig(dir, pgDSN, myDSN, redisAddr, queue string) (string, error) {
	cfg := fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: %q}
  dst: {driver: mysql, dsn: %q}
target: dst
defaults: {schedule: "@every %v", settle: %v, queue: %s}
redis: {addr: %q}
worker: {concurrency: 2, queues: {%s: 1}, shutdown_timeout: 5s}
http: {listen: ""}
log: {level: info, format: json}
`, pgDSN, myDSN, freshEvery, freshSettle, queue, redisAddr, queue)
	decl := "source: {connection: src, table: public.fresh, key: [id], cursor: updated_at}\ntarget: {table: fresh}\n"
	if err := os.MkdirAll(filepath.Join(dir, "tables"), 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "syncd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return "", err
	}
	return path, os.WriteFile(filepath.Join(dir, "tables", "fresh.yaml"), []byte(decl), 0o644)
}

// waitRows waits until the target table fresh holds n rows.
func waitRows(ctx context.Context, db *sql.DB, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var got int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM fresh").Scan(&got); err == nil && got == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("target has %d of %d rows after %v", got, n, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pendingChange is a change committed in the source and not yet seen in
// the target.
type pendingChange struct {
	marker    string
	committed time.Time
}

// changeAndWatch makes the changes, one every 50 ms, each to another row,
// while a watcher reads the target every 10 ms; it returns each change's
// delay from commit to visible.
func (b *bench) changeAndWatch(ctx context.Context) ([]time.Duration, error) {
	n := b.o.freshChanges
	pending := map[int64]pendingChange{}
	var delays []time.Duration
	next := 0
	lastChange := time.Time{}
	deadline := time.Time{}
	for len(delays) < n {
		if next < n && time.Since(lastChange) >= 50*time.Millisecond {
			id := int64(next%freshRows) + 1
			marker := fmt.Sprintf("change %d", next)
			if _, err := b.pg.ExecContext(ctx, "UPDATE fresh SET name = $1, updated_at = clock_timestamp() WHERE id = $2", marker, id); err != nil {
				return nil, err
			}
			pending[id] = pendingChange{marker: marker, committed: time.Now()}
			lastChange = time.Now()
			next++
			if next == n {
				deadline = time.Now().Add(time.Minute)
			}
		}
		seen, err := visible(ctx, b.my, pending)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		for _, id := range seen {
			delays = append(delays, now.Sub(pending[id].committed))
			delete(pending, id)
		}
		if !deadline.IsZero() && now.After(deadline) {
			return nil, fmt.Errorf("%d changes not visible a minute after the last one", len(pending))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return delays, nil
}

// visible returns the pending rows whose change the target shows.
func visible(ctx context.Context, db *sql.DB, pending map[int64]pendingChange) ([]int64, error) {
	if len(pending) == 0 {
		return nil, nil
	}
	marks := make([]string, 0, len(pending))
	args := make([]any, 0, len(pending))
	for id := range pending {
		marks = append(marks, "?")
		args = append(args, id)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, name FROM fresh WHERE id IN ("+strings.Join(marks, ",")+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		if name == pending[id].marker {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// dropQueue removes the keys of the freshness run's queue from Redis.
func dropQueue(addr, queue string) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	var keys []string
	iter := c.Scan(ctx, 0, "asynq:{"+queue+"}*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		c.Del(ctx, keys...)
	}
	c.SRem(ctx, "asynq:queues", queue)
}

// percentile returns the p-th percentile (0..100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}
