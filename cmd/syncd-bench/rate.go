package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/redis/go-redis/v9"
)

// rateStage loads the table with `rate:` declared and measures the rate
// the load held: rows over the run's own duration (from its run log line,
// so the process's start does not count). A limiter lets one page go
// before its charge is paid, so over a long load the rate may only be
// exceeded by about one page in the whole load.
func (b *bench) rateStage(ctx context.Context) error {
	if b.o.rate <= 0 {
		return nil
	}
	dir := filepath.Join(b.tmp, "rate")
	config, err := writeConfig(dir, b.o.pgBench, b.o.myConfig, b.o.batch)
	if err != nil {
		return err
	}
	if err := appendRate(dir, b.o.redis, b.o.rate); err != nil {
		return err
	}
	n := int64(b.o.rows)
	m := &b.results.rated
	*m = measure{name: "syncd first load with rate:", rows: n, note: fmt.Sprintf("rate %d rows/s", b.o.rate)}
	for i := 1; i <= b.o.runs; i++ {
		log.Printf("run %d/%d: first load at rate %d rows/s", i, b.o.runs, b.o.rate)
		if err := clearRate(ctx, b.o.redis); err != nil {
			return err
		}
		if err := freshTarget(ctx, b.my, "items"); err != nil {
			return err
		}
		c, err := runSyncd(ctx, b.o.syncd, config)
		if err != nil {
			return err
		}
		if c.read != n || c.inserted != n {
			return fmt.Errorf("rated first load read %d and inserted %d rows, want %d", c.read, c.inserted, n)
		}
		if c.duration <= 0 {
			return errors.New("the rated load's run log line has no duration")
		}
		m.add(c.duration)
		if err := sameRows(ctx, b.pg, b.my, "items"); err != nil {
			return err
		}
	}
	return clearRate(ctx, b.o.redis)
}

// appendRate declares rate on the benchmark's table and names the Redis
// that holds it.
func appendRate(dir, redisAddr string, rate int) error {
	for _, f := range []struct{ path, text string }{
		{filepath.Join(dir, "tables", "bench_items.yaml"), fmt.Sprintf("rate: %d\n", rate)},
		{filepath.Join(dir, "syncd.yaml"), fmt.Sprintf("redis: {addr: %q}\n", redisAddr)},
	} {
		fh, err := os.OpenFile(f.path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = fh.WriteString(f.text)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// clearRate forgets what earlier loads charged to the table's rate.
func clearRate(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.Del(ctx, "syncd:rate:{bench_items}").Err(); err != nil {
		return fmt.Errorf("redis at %s: clear the rate of bench_items: %w", addr, err)
	}
	return nil
}

// rateLine says how closely the declared rate held.
func (r results) rateLine() string {
	if len(r.rated.times) == 0 || r.rateDeclared == 0 {
		return ""
	}
	got := r.rated.rate()
	fast := float64(r.rated.rows) / r.rated.sorted()[0].Seconds()
	return fmt.Sprintf("- rate: declared %d rows/s; the load held %.0f rows/s at the median run, %.0f at the fastest: **%.3f** of the rate (fastest %.3f; goal: within 10%%, never above 1.10)\n",
		r.rateDeclared, got, fast, got/float64(r.rateDeclared), fast/float64(r.rateDeclared))
}
