package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// snapshotStage times the first load as a snapshot in key order, split
// into as many parts as workers, each worker a `syncd worker` process of
// its own (worker.concurrency 1) on a queue of the stage's own: from
// `syncd enqueue` until the last part sets the table's cursor.
func (b *bench) snapshotStage(ctx context.Context) error {
	n := int64(b.o.rows)
	for _, w := range b.o.snapshotWorkers {
		m := measure{name: fmt.Sprintf("syncd first load, snapshot in key order, %d worker process(es), %d part(s)", w, w), rows: n}
		if err := b.snapshotLoads(ctx, w, &m); err != nil {
			return err
		}
		b.results.snapshots = append(b.results.snapshots, m)
	}
	return nil
}

func (b *bench) snapshotLoads(ctx context.Context, workers int, m *measure) error {
	queue := fmt.Sprintf("syncd_bench_snap_%d_%d", os.Getpid(), workers)
	dir := filepath.Join(b.tmp, fmt.Sprintf("snap%d", workers))
	config, err := snapshotConfig(dir, b, queue, workers)
	if err != nil {
		return err
	}
	defer dropQueue(b.o.redis, queue)
	stop, err := startWorkers(ctx, b.o.syncd, config, dir, workers)
	if err != nil {
		return err
	}
	defer stop()
	for i := 1; i <= b.o.runs; i++ {
		log.Printf("run %d/%d: snapshot first load with %d worker(s)", i, b.o.runs, workers)
		if err := freshSnapshot(ctx, b.my); err != nil {
			return err
		}
		err := b.timed(m, func() error {
			out, err := exec.CommandContext(ctx, b.o.syncd, "enqueue", "bench_items", "--config", config).CombinedOutput()
			if err != nil {
				return fmt.Errorf("syncd enqueue: %w: %s", err, out)
			}
			return waitCursor(ctx, b.my, 30*time.Minute)
		})
		if err != nil {
			return fmt.Errorf("%w (logs in %s)", err, dir)
		}
		if err := sameRows(ctx, b.pg, b.my, "items"); err != nil {
			return err
		}
	}
	return nil
}

// snapshotConfig is the benchmark's config on a queue of its own, with
// snapshot.parts declared.
func snapshotConfig(dir string, b *bench, queue string, parts int) (string, error) {
	config, err := writeConfig(dir, b.o.pgBench, b.o.myConfig, b.o.batch)
	if err != nil {
		return "", err
	}
	extra := fmt.Sprintf("redis: {addr: %q}\nworker: {concurrency: 1, queues: {%s: 1}, shutdown_timeout: 5s}\nhttp: {listen: \"\"}\n", b.o.redis, queue)
	decl := fmt.Sprintf("queue: %s\nsnapshot: {parts: %d}\n", queue, parts)
	for path, text := range map[string]string{config: extra, filepath.Join(dir, "tables", "bench_items.yaml"): decl} {
		if err := appendFile(path, text); err != nil {
			return "", err
		}
	}
	return config, nil
}

func appendFile(path, text string) error {
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = fh.WriteString(text)
	return errors.Join(err, fh.Close())
}

// startWorkers starts n `syncd worker` processes, logging into dir; stop
// ends them with SIGTERM.
func startWorkers(ctx context.Context, bin, config, dir string, n int) (stop func(), err error) {
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
			_ = c.Wait()
		}
	}
	for i := range n {
		logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker%d.log", i+1)))
		if err != nil {
			stop()
			return nil, err
		}
		c := exec.CommandContext(ctx, bin, "worker", "--config", config, "--log-format", "json")
		c.Stdout, c.Stderr = logFile, logFile
		if err := c.Start(); err != nil {
			logFile.Close()
			stop()
			return nil, err
		}
		logFile.Close() // the child holds its own descriptor
		cmds = append(cmds, c)
	}
	return stop, nil
}

// freshSnapshot empties the target and forgets the table's state and
// snapshots, so that the next task begins a snapshot.
func freshSnapshot(ctx context.Context, db *sql.DB) error {
	if err := freshTarget(ctx, db, "items"); err != nil {
		return err
	}
	for _, q := range []string{
		"DELETE FROM syncd_snapshot_parts WHERE table_name = 'bench_items'",
		"DELETE FROM syncd_snapshots WHERE table_name = 'bench_items'",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil && !isNoTable(err) {
			return fmt.Errorf("reset snapshot: %w", err)
		}
	}
	return nil
}

// waitCursor waits until the table has a cursor: the last part of the
// snapshot set it, so every row is in.
func waitCursor(ctx context.Context, db *sql.DB, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var cur sql.NullString
		err := db.QueryRowContext(ctx, "SELECT cursor_value FROM syncd_state WHERE table_name = 'bench_items'").Scan(&cur)
		if err == nil && cur.Valid {
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read the table's cursor: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the snapshot did not end within %v", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
