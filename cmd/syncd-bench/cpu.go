package main

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"time"
)

// serverCPU reads the CPU time the target server process has used, from
// /proc, when the server runs on this machine; the time the server spends
// on each way of writing says more than wall time on a busy machine. It
// returns nil when the server's process cannot be read.
func serverCPU(ctx context.Context, db *sql.DB) func() time.Duration {
	var pidFile string
	if err := db.QueryRowContext(ctx, "SELECT @@pid_file").Scan(&pidFile); err != nil {
		return nil
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil
	}
	stat := "/proc/" + strings.TrimSpace(string(b)) + "/stat"
	read := func() time.Duration {
		b, err := os.ReadFile(stat)
		if err != nil {
			return 0
		}
		// The fields after the command's closing parenthesis; utime and
		// stime are the 14th and 15th of the whole line, in clock ticks
		// (100 a second on Linux).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			return 0
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(u+s) * 10 * time.Millisecond
	}
	if read() == 0 {
		return nil
	}
	return read
}

// timed runs fn and adds its wall time, and the server CPU it cost, to m.
func (b *bench) timed(m *measure, fn func() error) error {
	var cpu0 time.Duration
	if b.cpu != nil {
		cpu0 = b.cpu()
	}
	start := time.Now()
	if err := fn(); err != nil {
		return err
	}
	m.add(time.Since(start))
	if b.cpu != nil {
		m.cpu = append(m.cpu, b.cpu()-cpu0)
	}
	return nil
}
