//go:build faults

package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// newMSSQLWorld is newWorld with a SQL Server source (SYNCD_TEST_MSSQL_DSN:
// Babelfish in CI): one worker queue per round and one more.
func newMSSQLWorld(t *testing.T, queues, batch int) *world {
	return newMSSQLWorldWith(t, mssqlWorldOptions{queues: queues, batch: batch})
}

// mssqlWorldOptions shape a world with a SQL Server source.
type mssqlWorldOptions struct {
	queues, batch int
	pageTimeout   string // "10m" by default
	// appName, when set, is the source connections' app name, which
	// Babelfish shows as their backends' application_name.
	appName string
	// proxy, when set, stands between syncd and the source.
	proxy func(addr string) *synctest.Proxy
}

func newMSSQLWorldWith(t *testing.T, o mssqlWorldOptions) *world {
	t.Helper()
	ms := synctest.SQLServer(t)
	_, my := synctest.MariaDB(t)
	w := &world{t: t, dir: t.TempDir(), src: synctest.Open(t, "sqlserver", ms), tgt: synctest.Open(t, "mysql", my), srcDSN: ms}
	w.redis, w.redisCmd = startRedis(t)
	qs := ""
	for i := range o.queues {
		w.queues = append(w.queues, fmt.Sprintf("q%d", i))
		qs += fmt.Sprintf("q%d: 1, ", i)
	}
	if o.pageTimeout == "" {
		o.pageTimeout = "10m"
	}
	if o.appName != "" {
		ms += "&app+name=" + url.QueryEscape(o.appName)
	}
	if o.proxy != nil {
		u, err := url.Parse(ms)
		must(t, err)
		u.Host = o.proxy(u.Host).Addr()
		ms = u.String()
	}
	must(t, os.Mkdir(filepath.Join(w.dir, "tables"), 0o755))
	w.cfgPath = filepath.Join(w.dir, "syncd.yaml")
	must(t, os.WriteFile(w.cfgPath, []byte(fmt.Sprintf(`connections:
  src: {driver: sqlserver, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {queue: q0, schedule: "@daily", settle: 1s, batch_size: %d, page_timeout: %s}
redis: %s
worker: {concurrency: 4, queues: {%s}, shutdown_timeout: 5s}
http: {listen: ""}
log: {level: info, format: json}
`, ms, my, o.batch, o.pageTimeout, synctest.RedisYAML(w.redis), qs[:len(qs)-2])), 0o644))
	t.Cleanup(func() {
		for _, p := range w.procs {
			if p.ProcessState == nil {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
		}
	})
	return w
}

// mssqlItems creates dbo.items with 20,000 rows in the SQL Server source:
// a rowversion cursor, a uniqueidentifier and a varbinary column, and
// declares it with target.create.
func (w *world) mssqlItems() {
	w.t.Helper()
	const n = `(SELECT a.v * 1000 + b.v * 100 + c.v * 10 + d.v + 1 AS i
		FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS a(v) CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS b(v)
		CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS c(v) CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS d(v)) AS n`
	synctest.Exec(w.t, w.src,
		`CREATE TABLE dbo.items (id INT NOT NULL PRIMARY KEY, g UNIQUEIDENTIFIER NOT NULL DEFAULT NEWID(),
			name NVARCHAR(100) NOT NULL, body VARBINARY(64) NULL, rv ROWVERSION)`,
		`CREATE INDEX ix_items_rv ON dbo.items (rv, id)`,
		`INSERT INTO dbo.items (id, name, body) SELECT i, CONCAT(N'row ', i, N' 供应商'), HASHBYTES('MD5', CAST(i AS VARCHAR(10))) FROM `+n,
		`INSERT INTO dbo.items (id, name, body) SELECT 10000 + i, CONCAT(N'row ', 10000 + i, N' 😀'), NULL FROM `+n)
	must(w.t, os.WriteFile(filepath.Join(w.dir, "tables", "items.yaml"), []byte(
		"source: {connection: src, table: dbo.items, key: [id], cursor: rv}\ntarget: {table: items, create: true}\n"), 0o644))
}

// A worker killed with SIGKILL at random points of the first load of a
// 20,000-row SQL Server table (100 pages, rowversion cursor: on Babelfish
// the rows of one INSERT share one rowversion, so every page boundary
// falls inside a tie), 5 times, each time restarted in a queue of its own
// (see TestFaultsWorkerKilled); then verify.
func TestFaultsMSSQLWorkerKilled(t *testing.T) {
	const kills = 5
	w := newMSSQLWorld(t, kills+1, 200)
	w.mssqlItems()
	tb := w.declaration("items")
	var progress []int64
	for i := range kills {
		worker := w.start("worker")
		tb.Queue = w.queues[i]
		w.enqueue(tb)
		until := w.pages("items") + 3 + int64(rand.IntN(15))
		for deadline := time.Now().Add(2 * time.Minute); w.pages("items") < until && time.Now().Before(deadline); {
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		}
		must(t, worker.Process.Signal(syscall.SIGKILL))
		for worker.ProcessState == nil {
			time.Sleep(10 * time.Millisecond)
		}
		progress = append(progress, w.pages("items"))
	}
	tb.Queue = w.queues[kills]
	w.start("worker")
	w.enqueue(tb)
	w.idle(5 * time.Minute)
	if progress[kills-1] >= 100 {
		t.Errorf("the load ended before the last kill (pages at each kill: %v)", progress)
	}
	w.mustEqual("worker killed (SIGKILL) at random points of the first load of a 20,000-row SQL Server table (Babelfish), restarted each time", "items", kills,
		fmt.Sprintf("pages of 100 committed at each kill: %v", progress))
}
