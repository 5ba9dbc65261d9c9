package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// fixture is one test's world: a PostgreSQL source database, a MariaDB
// target database, a queue of its own on the real Redis, and a config
// directory with syncd.yaml and tables/.
type fixture struct {
	t       *testing.T
	dir     string
	queue   string
	src     *sql.DB // PostgreSQL
	tgt     *sql.DB // MariaDB, directly (not through any proxy)
	cfg     *tables.Config
	pools   *connect.Pools
	enq     *queue.Enqueuer
	log     zerolog.Logger
	targetA string // the target server address the config uses
}

type fixtureOptions struct {
	// targetAddr replaces the MariaDB address in the target DSN (a proxy).
	targetAddr string
	// sourceAddr replaces the PostgreSQL address in the source DSN.
	sourceAddr      string
	shutdownTimeout time.Duration
	// targetPassword replaces the password of the target DSN (a login
	// the server refuses).
	targetPassword string
}

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	redisAddr := synctest.Redis(t)
	pg := synctest.Postgres(t)
	_, my := synctest.MariaDB(t)
	f := &fixture{t: t, dir: t.TempDir(), queue: synctest.UniqueName("syncd_t_"), log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)}
	f.src = synctest.Open(t, "pgx", pg)
	f.tgt = synctest.Open(t, "mysql", my)
	if o.targetAddr != "" {
		my = strings.Replace(my, "127.0.0.1:3306", o.targetAddr, 1)
	}
	if o.targetPassword != "" {
		c, err := gomysql.ParseDSN(my)
		if err != nil {
			t.Fatal(err)
		}
		c.Passwd = o.targetPassword
		my = c.FormatDSN()
	}
	if o.sourceAddr != "" {
		pg = strings.Replace(pg, "127.0.0.1:5432", o.sourceAddr, 1)
	}
	if o.shutdownTimeout == 0 {
		o.shutdownTimeout = 5 * time.Second
	}
	if err := os.Mkdir(filepath.Join(f.dir, "tables"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.write("syncd.yaml", fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: %q}
  tgt: {driver: mysql, dsn: %q}
target: tgt
defaults:
  queue: %s
  settle: 0s
  batch_size: 100
redis: %s
worker:
  concurrency: 2
  queues: {%s: 1}
  shutdown_timeout: %s
http:
  listen: ""
`, pg, my, f.queue, synctest.RedisYAML(redisAddr), f.queue, o.shutdownTimeout))
	cfg, err := tables.LoadConfig(filepath.Join(f.dir, "syncd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	f.pools = connect.NewPools(cfg)
	f.enq = queue.NewEnqueuer(queue.RedisConnOpt(cfg.Redis))
	t.Cleanup(func() {
		// The queue goes with the test, whatever state its tasks are in.
		f.enq.Close()
		synctest.DropQueue(t, redisAddr, f.queue)
		f.pools.Close()
	})
	return f
}

// write writes a file of the config directory.
func (f *fixture) write(name, text string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// declare writes the declaration of a table name syncing source table
// src_NAME into target table NAME, and creates both tables.
func (f *fixture) declare(name, schedule string) {
	f.t.Helper()
	synctest.Exec(f.t, f.src,
		`CREATE TABLE src_`+name+` (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX src_`+name+`_cursor ON src_`+name+` (updated_at, id)`)
	synctest.Exec(f.t, f.tgt, `CREATE TABLE `+name+` (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL, qty INT NOT NULL, updated_at DATETIME(6) NOT NULL)`)
	f.write("tables/"+name+".yaml", fmt.Sprintf(`source: {connection: src, table: src_%s, key: [id], cursor: updated_at}
target: {table: %s}
schedule: %q
`, name, name, schedule))
}

// declareLarge declares name with rows 1..n and pages of batch rows, so a
// run takes many pages: long enough to be stopped in the middle.
func (f *fixture) declareLarge(name string, n, batch int) {
	f.t.Helper()
	f.declare(name, "@daily")
	f.insert(name, 1, n)
	f.batch(name, batch)
}

// insert adds rows ids from..to to the source with updated_at one second
// apart from a fixed base, so a rewind point selects a known count.
func (f *fixture) insert(name string, from, to int) {
	f.t.Helper()
	synctest.Exec(f.t, f.src, fmt.Sprintf(`INSERT INTO src_%s SELECT i, 'row ' || i, i %% 7, timestamp '2026-01-01' + i * interval '1 second' FROM generate_series(%d, %d) i`, name, from, to))
}

// table returns the loaded declaration of name.
func (f *fixture) table(name string) tables.Table {
	f.t.Helper()
	t, err := tables.LoadTable(filepath.Join(f.dir, "tables", name+".yaml"), f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func (f *fixture) catalog() *queue.Catalog {
	f.t.Helper()
	cat, err := queue.NewCatalog(f.cfg, f.log)
	if err != nil {
		f.t.Fatal(err)
	}
	return cat
}

// startWorker starts a worker with fast retries; it stops when the test
// ends unless stopped before.
func (f *fixture) startWorker(cat *queue.Catalog) *asynq.Server {
	f.t.Helper()
	return f.startObservedWorker(cat, nil)
}

// startObservedWorker is startWorker with an Observer on the handler.
// The handler keeps each table's setup between runs, as syncd's worker
// does.
func (f *fixture) startObservedWorker(cat *queue.Catalog, o queue.Observer) *asynq.Server {
	f.t.Helper()
	srv := queue.NewWorker(f.cfg, f.log, queue.WorkerOptions{RetryBase: 200 * time.Millisecond, RetryMax: time.Second})
	h := &queue.Handler{Catalog: cat, Pools: f.pools, Log: f.log, Observer: o, Jobs: connect.NewJobs(f.pools), Inspector: f.enq.Inspector()}
	if err := srv.Start(queue.Mux(h)); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(srv.Shutdown)
	return srv
}

// startScheduler starts a scheduler that rereads the declarations every
// 200ms.
func (f *fixture) startScheduler(cat *queue.Catalog) {
	f.t.Helper()
	mgr, err := queue.NewScheduler(f.cfg, cat, f.log, 200*time.Millisecond)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := mgr.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		mgr.Shutdown()
		synctest.DropOrphanSchedulerHistory(f.t, f.cfg.Redis.Addr)
	})
}

// rows returns "id:name:qty" of every row of a table, in id order.
func rows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	r, err := db.Query("SELECT id, name, qty FROM " + table + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var id int64
		var name string
		var qty int
		if err := r.Scan(&id, &name, &qty); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s:%d", id, name, qty))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// same reports whether the target table holds exactly the source rows.
func (f *fixture) same(name string) (bool, string) {
	s, g := rows(f.t, f.src, "src_"+name), rows(f.t, f.tgt, name)
	if len(s) != len(g) {
		return false, fmt.Sprintf("source has %d rows, target %d", len(s), len(g))
	}
	for i := range s {
		if s[i] != g[i] {
			return false, fmt.Sprintf("row %d: source %s, target %s", i, s[i], g[i])
		}
	}
	return true, ""
}

// eventually waits for cond: see synctest.Eventually.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	synctest.Eventually(t, what, cond)
}

// runs returns the table's runs, oldest first.
func (f *fixture) runs(name string) []state.RunRow {
	f.t.Helper()
	rs, err := state.New(f.tgt).ListRuns(context.Background(), state.RunFilter{Table: name, Limit: 10000})
	if err != nil {
		f.t.Fatal(err)
	}
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return rs
}

// taskGone reports whether the table's task has left the queue.
func (f *fixture) taskGone(name string) (bool, string) {
	info, err := f.enq.Inspector().GetTaskInfo(f.queue, queue.TaskID(name))
	if errors.Is(err, asynq.ErrTaskNotFound) {
		return true, ""
	}
	if err != nil {
		return false, err.Error()
	}
	return false, "task is " + info.State.String() + " " + info.LastErr
}

// pages returns the pages the table's state has counted.
func (f *fixture) pages(name string) int64 {
	f.t.Helper()
	var n sql.NullInt64
	err := f.tgt.QueryRow("SELECT pages FROM syncd_state WHERE table_name = ?", name).Scan(&n)
	var me *gomysql.MySQLError
	if errors.As(err, &me) && me.Number == 1146 || errors.Is(err, sql.ErrNoRows) {
		return 0 // no state table or row: no run claimed the table yet
	}
	if err != nil {
		f.t.Fatalf("pages of %s: %v", name, err)
	}
	return n.Int64
}

// batch rewrites the declaration of name with another batch size.
func (f *fixture) batch(name string, size int) {
	f.t.Helper()
	f.write("tables/"+name+".yaml", fmt.Sprintf(`source: {connection: src, table: src_%s, key: [id], cursor: updated_at}
target: {table: %s}
schedule: "@daily"
batch_size: %d
`, name, name, size))
}

// syncNow enqueues tb with trigger, waits for the task to leave the queue
// and returns the table's newest run.
func (f *fixture) syncNow(tb tables.Table, trigger string) state.RunRow {
	f.t.Helper()
	if _, err := f.enq.Enqueue(context.Background(), tb, trigger); err != nil {
		f.t.Fatal(err)
	}
	eventually(f.t, "task done", func() (bool, string) { return f.taskGone(tb.Name) })
	rs := f.runs(tb.Name)
	return rs[len(rs)-1]
}

// longRun declares name with 20,000 rows in pages of 20, starts a worker,
// enqueues the table and returns once the run has committed 5 pages.
func (f *fixture) longRun(name string) tables.Table {
	f.t.Helper()
	f.declareLarge(name, 20000, 20)
	f.startWorker(f.catalog())
	tb := f.table(name)
	if _, err := f.enq.Enqueue(context.Background(), tb, datasync.TriggerManual); err != nil {
		f.t.Fatal(err)
	}
	eventually(f.t, "the run under way", func() (bool, string) { return f.pages(name) >= 5, "pages < 5" })
	return tb
}
