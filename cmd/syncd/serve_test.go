package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// runCLIContext is runCLI with a context, for commands that run until
// cancelled.
func runCLIContext(ctx context.Context, out io.Writer, args ...string) error {
	root := newRoot()
	root.SetOut(out)
	root.SetErr(out)
	root.SetArgs(append(args, "--log-format", "json"))
	return root.ExecuteContext(ctx)
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// syncd run serves the web UI and the health checks, and syncd enqueue
// --wait runs a table through it and reports the run.
func TestRunAndEnqueueWait(t *testing.T) {
	redisAddr := synctest.Redis(t)
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`,
		`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, 10) i`)
	tgt := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	q, listen := synctest.UniqueName("syncd_t_"), freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {queue: %s, schedule: "@daily"}
redis: %s
worker: {queues: {%s: 1}, shutdown_timeout: 2s}
http: {listen: %s}
`, pgDSN, myDSN, q, synctest.RedisYAML(redisAddr), q, listen), map[string]string{"items.yaml": itemsTable})
	t.Cleanup(func() { synctest.DropQueue(t, redisAddr, q) })

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var runLog bytes.Buffer
	go func() { done <- runCLIContext(ctx, &runLog, "-c", cfg, "run") }()
	base := "http://" + listen
	for i := 0; ; i++ {
		if code, _ := get(t, base+"/healthz"); code == http.StatusOK {
			break
		}
		if i == 300 {
			stop()
			t.Fatalf("syncd run did not serve /healthz: %v\n%s", <-done, runLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := get(t, base+"/monitor/"); code != http.StatusOK || !strings.Contains(body, "<title>Asynq - Monitoring</title>") {
		t.Errorf("/monitor/: %d, want 200 and the Asynq UI page", code)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK || !strings.Contains(body, `"ready":true`) {
		t.Errorf("/readyz: %d %s, want 200 ready", code, body)
	}

	out, code := runCLI("-c", cfg, "enqueue", "items", "--wait")
	if code != 0 || !strings.Contains(out, "items: queued") || !strings.Contains(out, "ok: 10 rows read (10 inserted") {
		t.Fatalf("enqueue --wait: exit %d\n%s", code, out)
	}
	out, code = runCLI("-c", cfg, "enqueue", "items", "--full", "--wait")
	if code != 0 || !strings.Contains(out, "rewound to the start") || !strings.Contains(out, "ok: 10 rows read (0 inserted, 0 updated, 10 unchanged, 0 deleted, 0 rejected, 0 late)") {
		t.Fatalf("enqueue --full --wait: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", cfg, "enqueue", "items", "--from", "yesterday"); code != exitBadConfig || !strings.Contains(out, "--from") {
		t.Fatalf("enqueue --from yesterday: exit %d, want %d naming --from\n%s", code, exitBadConfig, out)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("syncd run ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("syncd run did not stop within 30s of SIGTERM's context cancel")
	}
}

// startRedis starts a Redis server of the test's own, which the test can
// stop without touching the one other tests use.
func startRedis(t *testing.T) (addr string, cmd *exec.Cmd) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("SYNCD_TEST_REQUIRE_SERVERS") != "" {
			t.Fatal("redis-server is not installed (apt-get install redis-server)")
		}
		t.Skip("redis-server is not installed")
	}
	addr = freeAddr(t)
	_, port, err := net.SplitHostPort(addr)
	must(t, err)
	cmd = exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) //nolint:errcheck // it may have been stopped already
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr, cmd
		}
		if i == 100 {
			t.Fatalf("redis-server on %s did not start: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testWeb(t *testing.T, cfg *tables.Config) *httptest.Server {
	t.Helper()
	cat, err := queue.NewCatalog(cfg, zerolog.Nop())
	must(t, err)
	pools := connect.NewPools(cfg)
	w := newWeb(cfg, pools, cat, newMetrics())
	srv := httptest.NewServer(w.handler())
	t.Cleanup(func() { srv.Close(); w.Close(); pools.Close() })
	return srv
}

func TestReadyzReportsAStoppedRedis(t *testing.T) {
	_, myDSN := synctest.MariaDB(t)
	addr, redis := startRedis(t)
	cfg := &tables.Config{
		Connections: map[string]tables.Connection{"tgt": {Driver: tables.DriverMySQL, DSN: myDSN}},
		Target:      "tgt", TablesDir: t.TempDir(), Redis: synctest.RedisConfig(addr),
	}
	srv := testWeb(t, cfg)
	if code, body := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with Redis and MariaDB up: %d %s", code, body)
	}
	must(t, redis.Process.Kill())
	_ = redis.Wait() //nolint:errcheck // a killed process's Wait says "signal: killed"
	code, body := get(t, srv.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"redis":"dial tcp`) || !strings.Contains(body, `"target tgt":"ok"`) {
		t.Fatalf("/readyz with Redis stopped: %d %s; want 503 naming redis, target ok", code, body)
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with Redis stopped: %d, want 200 (the process is up)", code)
	}
}

func TestMonitorBasicAuth(t *testing.T) {
	cfg := &tables.Config{
		TablesDir: t.TempDir(), Redis: tables.Redis{Addr: freeAddr(t)},
		HTTP: tables.HTTP{Username: "ops", Password: "s3cret", ReadOnly: true},
	}
	srv := testWeb(t, cfg)
	if code, _ := get(t, srv.URL+"/monitor/"); code != http.StatusUnauthorized {
		t.Fatalf("/monitor/ without credentials: %d, want 401", code)
	}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/monitor/", nil)
	must(t, err)
	req.SetBasicAuth("ops", "wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/monitor/ with a wrong password: %v %v, want 401", resp.StatusCode, err)
	}
	req.SetBasicAuth("ops", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/monitor/ with credentials: %v %v, want 200", resp, err)
	}
	resp.Body.Close()
	if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d, want 200 without credentials", code)
	}
}

func TestProgressText(t *testing.T) {
	pr := &queue.Progress{Rows: 5000}
	if got, want := progressText(pr, -1, 2*time.Second), "running: 5000 rows, 2500 rows/s"; got != want {
		t.Errorf("unknown total: %q, want %q", got, want)
	}
	if got, want := progressText(pr, 20000, 2*time.Second), "running: 5000 rows, 2500 rows/s, 25% of 20000, about 6s left"; got != want {
		t.Errorf("known total: %q, want %q", got, want)
	}
	// Rows changed since the count can take a run past it.
	if got, want := progressText(pr, 4000, 2*time.Second), "running: 5000 rows, 2500 rows/s, 100% of 4000"; got != want {
		t.Errorf("past the count: %q, want %q", got, want)
	}
}

// The Redis password is never printed, whatever fails: syncd run with
// Redis down keeps trying and logging, enqueue fails, /readyz reports it.
func TestRedisPasswordIsNotPrinted(t *testing.T) {
	const secret = "redis-hunter2"
	t.Setenv("SYNCD_REDIS_PASSWORD", secret)
	redisAddr := freeAddr(t)
	cfg := writeConfig(t, "connections:\n  tgt: {driver: mysql, dsn: 'x@tcp(127.0.0.1:1)/x'}\ntarget: tgt\nredis: {addr: '"+redisAddr+"'}\nhttp: {listen: ''}\n",
		map[string]string{"items.yaml": itemsTable})

	// The logger writes to os.Stderr: catch it for the run.
	r, w, err := os.Pipe()
	must(t, err)
	stderr := os.Stderr
	os.Stderr = w
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	var out bytes.Buffer
	runErr := runCLIContext(ctx, &out, "-c", cfg, "run", "--log-level", "debug")
	cancel()
	os.Stderr = stderr
	w.Close()
	logged, err := io.ReadAll(r)
	must(t, err)
	if text := string(logged) + out.String() + fmt.Sprint(runErr); strings.Contains(text, secret) || len(logged) == 0 {
		t.Fatalf("syncd run with Redis down printed the password, or logged nothing:\n%s", text)
	}

	out2, code := runCLI("-c", cfg, "enqueue", "items")
	if code == 0 || strings.Contains(out2, secret) {
		t.Fatalf("enqueue with Redis down: exit %d; want a failure without the password:\n%s", code, out2)
	}

	loaded, err := tables.LoadConfig(cfg)
	must(t, err)
	srv := testWeb(t, loaded)
	if code, body := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || strings.Contains(body, secret) {
		t.Fatalf("/readyz with Redis down: %d %s; want 503 without the password", code, body)
	}
}
