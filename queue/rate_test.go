package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// How these tests hold a rate without a timed assertion that a slow,
// shared machine could fail: a limiter may only ever make reads slower,
// so they assert the one bound that load cannot break. A rate of R rows
// a second lets at most one page per reader go before its charge is paid,
// so N rows take at least (N - readers*page) / R seconds, however busy the
// machine. How close the rate comes from below is measured, not asserted:
// cmd/syncd-bench's rate stage (docs/benchmarks.md).

// dropRateKey deletes the rate key of table when the test ends.
func dropRateKey(t *testing.T, addr, table string) {
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: synctest.RedisDB})
		defer c.Close()
		c.Del(context.Background(), "syncd:rate:{"+table+"}")
	})
}

// Two limiters on their own Redis connections, as two workers on two
// machines would hold them, share one table's rate.
func TestRateSharedAcrossReaders(t *testing.T) {
	addr := synctest.Redis(t)
	table := synctest.UniqueName("rate_")
	dropRateKey(t, addr, table)
	const rate, page, pages = 4000, 100, 20 // two readers: 4,000 rows, at least 0.95 s
	tb := tables.Table{Name: table, Rate: rate}
	if (*queue.Rates)(nil).For(tb) != nil || queue.NewRates(synctest.RedisOpt(addr)).For(tables.Table{Name: table}) != nil {
		t.Fatal("a table without rate, or no Rates, must read unlimited (a nil Limiter)")
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		r := queue.NewRates(synctest.RedisOpt(addr))
		defer r.Close()
		lim := r.For(tb)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range pages {
				if err := lim.Wait(context.Background(), page); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	floor := time.Duration(float64(2*pages*page-2*page) / rate * float64(time.Second))
	if elapsed < floor {
		t.Fatalf("2 readers charged %d rows at %d rows/s in %v: faster than the rate allows (at least %v)", 2*pages*page, rate, elapsed, floor)
	}
}

// A table with rate: is read no faster than its rate by a worker's run,
// and the run still ends with the target equal to the source.
func TestRateHoldsARun(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	name := synctest.UniqueName("rated_")
	dropRateKey(t, f.cfg.Redis.Addr, name)
	f.declareLarge(name, 3000, 100)
	const rate = 2000
	f.write("tables/"+name+".yaml", fmt.Sprintf(`source: {connection: src, table: src_%s, key: [id], cursor: updated_at}
target: {table: %s}
schedule: "@daily"
batch_size: 100
rate: %d
`, name, name, rate))
	rates := queue.NewRates(queue.RedisConnOpt(f.cfg.Redis))
	defer rates.Close()
	srv := queue.NewWorker(f.cfg, f.log, queue.WorkerOptions{RetryBase: 200 * time.Millisecond, RetryMax: time.Second})
	if err := srv.Start(queue.Mux(&queue.Handler{Catalog: f.catalog(), Pools: f.pools, Log: f.log, Jobs: connect.NewJobs(f.pools), Rates: rates})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	run := f.syncNow(f.table(name), datasync.TriggerManual)
	if run.Error != "" || run.Read != 3000 || run.Ended == nil {
		t.Fatalf("run: read %d, error %q; want 3000 rows and no error", run.Read, run.Error)
	}
	// One page goes before its charge is paid: 2,900 rows at 2,000/s.
	if took, floor := (*run.Ended).Sub(run.Started), 1450*time.Millisecond; took < floor {
		t.Fatalf("3000 rows at rate %d in %v: faster than the rate allows (at least %v)", rate, took, floor)
	}
	if same, diff := f.same(name); !same {
		t.Fatalf("target differs from source: %s", diff)
	}
}
