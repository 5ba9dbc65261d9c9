package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/synctest"
)

// stderrLines catches what the process writes to os.Stderr (where the
// logger writes) until stop, drained as it comes so a full pipe never
// blocks the logger.
func stderrLines(t *testing.T) (text func() string, stop func()) {
	t.Helper()
	r, w, err := os.Pipe()
	must(t, err)
	saved, savedLog := os.Stderr, stdlog.Writer()
	os.Stderr = w
	stdlog.SetOutput(w) // it took os.Stderr as it was at start
	var mu sync.Mutex
	var b bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			mu.Lock()
			b.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	text = func() string { mu.Lock(); defer mu.Unlock(); return b.String() }
	return text, func() { os.Stderr = saved; stdlog.SetOutput(savedLog); w.Close(); <-done }
}

// With Redis stopped under a running syncd run (three tables ticking
// every second, /metrics scraped), the log says so in one line naming
// its address, and in one line when it answers again: no line per table
// and tick, and no line outside the JSON log.
func TestRedisDownIsOneLine(t *testing.T) {
	queue.QuietRedisLog() // as main does
	addr, redis := startRedis(t)
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`,
		`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, 10) i`)
	tgt := synctest.Open(t, "mysql", myDSN)
	decls := map[string]string{}
	for _, name := range []string{"a", "b", "c"} {
		synctest.Exec(t, tgt, "CREATE TABLE items_"+name+" (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
		decls[name+".yaml"] = fmt.Sprintf("source: {connection: src, table: items, key: [id], cursor: updated_at}\ntarget: {table: items_%s}\nschedule: \"@every 1s\"\n", name)
	}
	listen := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {settle: 0s}
redis: {addr: '%s'}
worker: {shutdown_timeout: 2s}
http: {listen: '%s'}
`, pgDSN, myDSN, addr, listen), decls)

	logged, stopCatching := stderrLines(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- runCLIContext(ctx, &out, "-c", cfg, "run") }()
	synctest.Eventually(t, "the tables synced", func() (bool, string) {
		var n int
		err := tgt.QueryRow("SELECT (SELECT COUNT(*) FROM items_a) + (SELECT COUNT(*) FROM items_b) + (SELECT COUNT(*) FROM items_c)").Scan(&n)
		return err == nil && n == 30, fmt.Sprint(n, err)
	})
	must(t, redis.Process.Kill())
	_ = redis.Wait() //nolint:errcheck // a killed process's Wait says "signal: killed"
	// Six ticks of each table, and a scrape a second.
	for range 6 {
		time.Sleep(time.Second)
		if resp, err := http.Get("http://" + listen + "/metrics"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the scrape matters
			resp.Body.Close()
		}
	}
	_, port, err := net.SplitHostPort(addr)
	must(t, err)
	again := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	must(t, again.Start())
	t.Cleanup(func() { _ = again.Process.Kill(); _ = again.Wait() }) //nolint:errcheck // stopped either way
	synctest.Eventually(t, "the line saying redis is back", func() (bool, string) {
		return strings.Contains(logged(), "redis answers again"), "not yet"
	})
	cancel()
	<-done
	stopCatching()
	text := logged()
	var down, back int
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a line outside the JSON log: %q", line)
			continue
		}
		msg := fmt.Sprint(m["message"])
		switch {
		case strings.Contains(msg, "not reachable"):
			down++
			if m["redis"] != addr {
				t.Errorf("line %s: want redis %s named", line, addr)
			}
		case strings.Contains(msg, "answers again"):
			back++
		case strings.Contains(line, "redis") || strings.Contains(line, "dial tcp") || strings.Contains(msg, "enqueue failed"):
			t.Errorf("another line about redis: %s", line)
		}
	}
	if down != 1 || back != 1 {
		t.Errorf("%d lines saying redis is down, %d saying it is back; want one each:\n%s", down, back, text)
	}
}
