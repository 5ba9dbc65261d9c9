//go:build faults

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// startChild starts `syncd -c cfg args...` as a process of its own,
// logging to log.
func startChild(t *testing.T, cfg string, log *os.File, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(syncdBin, append([]string{"-c", cfg}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// Two worker processes take a 3-part snapshot (the machine's servers, a
// database of the test's own); one of them is killed with SIGKILL in the
// middle of its parts 3 times, another started each time. The killed workers' parts come back when their lease expires and
// go on from their last key; the table ends equal, nothing pending.
func TestFaultsSnapshotWorkerProcessKilled(t *testing.T) {
	t.Parallel()
	redisAddr := synctest.Redis(t)
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src, tgt := synctest.Open(t, "pgx", pgDSN), synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`,
		`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, 60000) i`)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	q := synctest.UniqueName("syncd_t_")
	cfg := writeConfig(t, fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {queue: %s, schedule: "@daily"}
redis: %s
worker: {queues: {%s: 1}, concurrency: 3, shutdown_timeout: 1s}
http: {listen: ""}
`, pgDSN, myDSN, q, synctest.RedisYAML(redisAddr), q), map[string]string{"items.yaml": `source: {connection: src, table: items, key: [id], cursor: updated_at}
target: {table: items}
batch_size: 50
settle: 0s
snapshot: {parts: 3}
`})
	t.Cleanup(func() { synctest.DropQueue(t, redisAddr, q) })
	log, err := os.Create(filepath.Join(t.TempDir(), "workers.log"))
	must(t, err)
	workers := []*exec.Cmd{startChild(t, cfg, log, "worker"), startChild(t, cfg, log, "worker")}
	enq := queue.NewEnqueuer(synctest.RedisOpt(redisAddr))
	defer enq.Close()
	tb := tables.Table{Name: "items", Queue: q, Timeout: time.Hour}
	if _, err := enq.Enqueue(context.Background(), tb, datasync.TriggerManual); err != nil {
		t.Fatal(err)
	}
	pages := func() int {
		return count(t, tgt, "SELECT COALESCE(SUM(pages), 0) FROM syncd_snapshot_parts WHERE table_name = 'items'")
	}
	var at []int
	for range 3 {
		n := pages() + 5 + rand.IntN(20)
		synctest.Eventually(t, "part pages committed", func() (bool, string) { return pages() >= n, fmt.Sprint(pages()) })
		i := rand.IntN(len(workers))
		must(t, workers[i].Process.Signal(syscall.SIGKILL))
		_ = workers[i].Wait()
		at = append(at, pages())
		workers[i] = startChild(t, cfg, log, "worker")
	}
	deadline := time.Now().Add(4 * time.Minute)
	for count(t, tgt, "SELECT COUNT(*) FROM syncd_snapshots WHERE table_name = 'items' AND status = 'done'") != 1 {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("snapshot not done 4 minutes after the kills (pages at each: %v)\n%s", at, b[max(0, len(b)-3000):])
		}
		time.Sleep(500 * time.Millisecond)
	}
	out, code := runCLI("-c", cfg, "verify", "items", "--json")
	if code != 0 || !containsAll(out, `"equal":true`, `"pending":0`, `"source_rows":60000`) {
		t.Fatalf("verify after the kills (pages at each: %v): exit %d\n%s", at, code, out)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
