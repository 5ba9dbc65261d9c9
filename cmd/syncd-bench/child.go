package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// syncdYAML is the benchmark's syncd.yaml: conns (the "connections:"
// line and the sources) and the target dst at myDSN, with batch as the
// tables' batch_size.
func syncdYAML(conns, myDSN string, batch int) string {
	return conns + fmt.Sprintf(`  dst:
    driver: mysql
    dsn: %q
target: dst
tables_dir: tables
defaults:
  schedule: "@every 1m"
  batch_size: %d
  settle: 1s
  timeout: 2h
log:
  level: info
  format: json
`, myDSN, batch)
}

// writeConfig writes a syncd.yaml and the benchmark table's declaration
// into dir and returns the config's path.
func writeConfig(dir, pgDSN, myDSN string, batch int) (string, error) {
	cfg := syncdYAML(fmt.Sprintf("connections:\n  src:\n    driver: postgres\n    dsn: %q\n", pgDSN), myDSN, batch)
	decl := `name: bench_items
source:
  connection: src
  table: public.items
  key: [id]
  cursor: updated_at
target:
  table: items
`
	if err := os.MkdirAll(filepath.Join(dir, "tables"), 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "syncd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return "", err
	}
	return path, os.WriteFile(filepath.Join(dir, "tables", "bench_items.yaml"), []byte(decl), 0o644)
}

// childRun is what one syncd process did.
type childRun struct {
	// maxRSS is the child's peak resident set in bytes, from wait4.
	maxRSS   int64
	cpu      time.Duration // user and system time of the child
	read     int64
	inserted int64
	updated  int64
	// duration is the run's own, from its run log line.
	duration time.Duration
}

// runSyncd runs `syncd sync bench_items` as a child process and reads its
// peak RSS and its run log line.
func runSyncd(ctx context.Context, bin, config string) (childRun, error) {
	return runSyncdTable(ctx, bin, config, "bench_items")
}

// runSyncdTable runs `syncd sync TABLE` as a child process.
func runSyncdTable(ctx context.Context, bin, config, table string) (childRun, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "sync", table, "--config", config, "--log-format", "json")
	cmd.Stderr = &stderr
	var r childRun
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("syncd sync: %w: %s", err, lastLines(stderr.Bytes(), 5))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, r.parseLog(stderr.Bytes())
}

// parseLog adds up the counts of the "run finished" lines: one for an
// ordinary run; one per part, then the run after it, for a snapshot.
func (r *childRun) parseLog(log []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		var line struct {
			Message  string `json:"message"`
			Rows     int64  `json:"rows"`
			Inserted int64  `json:"inserted"`
			Updated  int64  `json:"updated"`
			Duration string `json:"duration"` // like "1.5s"
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "run finished" {
			found = true
			r.read, r.inserted, r.updated = r.read+line.Rows, r.inserted+line.Inserted, r.updated+line.Updated
			d, _ := time.ParseDuration(line.Duration) // zero when absent: no rate measured
			r.duration += d
		}
	}
	if !found {
		return fmt.Errorf("syncd wrote no run log line: %s", lastLines(log, 5))
	}
	return nil
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
