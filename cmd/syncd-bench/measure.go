package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/syncd/syncd/tables"
)

// firstLoads measures the limits and syncd's first load, interleaved run by
// run so that a burst of other work on the shared machine weighs on all of
// them alike.
func (b *bench) firstLoads(ctx context.Context, tsv, tsvCursor string) error {
	n := int64(b.o.rows)
	r := &b.results
	r.limit = measure{name: "limit: LOAD DATA LOCAL INFILE, empty table, key order", rows: n}
	r.limitCursor = measure{name: "LOAD DATA LOCAL INFILE, empty table, (updated_at, id) order", rows: n, note: "the order syncd writes in"}
	r.read = measure{name: "limit: source keyset read alone", rows: n, note: fmt.Sprintf("pages of %d", b.o.batch)}
	r.first = measure{name: "syncd first load", rows: n, note: fmt.Sprintf("syncd sync, default settings: a snapshot in key order from %d rows; batch_size %d", tables.SnapshotRowsPerPart, b.o.batch)}
	r.baseline = measure{name: "syncd first load, baseline", rows: n, note: b.o.baseline}
	if b.o.baselineBatch > 0 {
		r.baseline.note += fmt.Sprintf(", batch_size %d", b.o.baselineBatch)
	}
	for i := 1; i <= b.o.runs; i++ {
		log.Printf("run %d/%d: LOAD DATA, source read, syncd first load", i, b.o.runs)
		if err := b.timeLoad(ctx, &r.limit, tsv, n); err != nil {
			return err
		}
		if err := b.timeLoad(ctx, &r.limitCursor, tsvCursor, n); err != nil {
			return err
		}
		var got int64
		err := b.timed(&r.read, func() (err error) {
			got, err = readAll(ctx, b.o.pgBench, b.o.batch)
			return err
		})
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("the source read gave %d rows, want %d", got, n)
		}
		if err := b.firstLoad(ctx, b.o.syncd, b.config, &r.first, n); err != nil {
			return err
		}
		if b.o.baseline == "" {
			continue
		}
		if err := b.firstLoad(ctx, b.o.baseline, b.baseConfig, &r.baseline, n); err != nil {
			return err
		}
	}
	return nil
}

// timeLoad times LOAD DATA of a file into an empty table.
func (b *bench) timeLoad(ctx context.Context, m *measure, path string, n int64) error {
	if err := freshTarget(ctx, b.my, "limit_items"); err != nil {
		return err
	}
	var got int64
	err := b.timed(m, func() (err error) {
		got, err = loadData(ctx, b.my, path)
		return err
	})
	if err == nil && got != n {
		err = fmt.Errorf("LOAD DATA wrote %d rows, want %d", got, n)
	}
	return err
}

// firstLoad runs syncd into an empty target and checks what it wrote.
func (b *bench) firstLoad(ctx context.Context, bin, config string, m *measure, n int64) error {
	if err := freshTarget(ctx, b.my, "items"); err != nil {
		return err
	}
	var c childRun
	err := b.timed(m, func() (err error) {
		c, err = runSyncd(ctx, bin, config)
		return err
	})
	if err != nil {
		return err
	}
	m.rss, m.own = append(m.rss, c.maxRSS), append(m.own, c.cpu)
	if c.read != n || c.inserted != n {
		return fmt.Errorf("syncd first load read %d and inserted %d rows, want %d", c.read, c.inserted, n)
	}
	return sameRows(ctx, b.pg, b.my, "items")
}

// incremental changes a different tenth of the source before each run and
// times syncd bringing the loaded target level again.
func (b *bench) incremental(ctx context.Context) error {
	m := &b.results.incr
	*m = measure{name: "syncd incremental catch-up", note: "10% of rows changed"}
	for i := 1; i <= b.o.runs; i++ {
		log.Printf("run %d/%d: incremental catch-up", i, b.o.runs)
		changed, err := touchTenth(ctx, b.o.pgBench, i%10)
		if err != nil {
			return err
		}
		m.rows = changed
		var c childRun
		err = b.timed(m, func() (err error) {
			c, err = runSyncd(ctx, b.o.syncd, b.config)
			return err
		})
		if err != nil {
			return err
		}
		m.own = append(m.own, c.cpu)
		if c.read != changed || c.updated != changed {
			return fmt.Errorf("syncd catch-up read %d and updated %d rows, want %d", c.read, c.updated, changed)
		}
		if err := sameRows(ctx, b.pg, b.my, "items"); err != nil {
			return err
		}
		if err := b.incrementalBaseline(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// incrementalBaseline times the baseline binary's catch-up of another
// tenth, right after this build's, when there is a baseline.
func (b *bench) incrementalBaseline(ctx context.Context, i int) error {
	if b.o.baseline == "" {
		return nil
	}
	m := &b.results.incrBase
	if m.name == "" {
		*m = measure{name: "syncd incremental catch-up, baseline", note: b.o.baseline}
	}
	changed, err := touchTenth(ctx, b.o.pgBench, (i+5)%10)
	if err != nil {
		return err
	}
	m.rows = changed
	var c childRun
	err = b.timed(m, func() (err error) {
		c, err = runSyncd(ctx, b.o.baseline, b.baseConfig)
		return err
	})
	if err != nil {
		return err
	}
	m.own = append(m.own, c.cpu)
	if c.read != changed || c.updated != changed {
		return fmt.Errorf("baseline catch-up read %d and updated %d rows, want %d", c.read, c.updated, changed)
	}
	return sameRows(ctx, b.pg, b.my, "items")
}

// naiveLoops times the hand-written loops on samples and extrapolates
// their times to N rows.
func (b *bench) naiveLoops(ctx context.Context) error {
	r := &b.results
	n := int64(b.o.rows)
	loops := []struct {
		m      *measure
		name   string
		sample int
		per    int
	}{
		{&r.naive, "naive: one upsert per row, autocommit", b.o.naiveSample, 1},
		{&r.batch100, "naive: 100-row upserts, autocommit", b.o.batchSample, 100},
	}
	for _, l := range loops {
		sample := min(l.sample, b.o.rows)
		note := fmt.Sprintf("sample of %d, time extrapolated to N", sample)
		if sample == b.o.rows {
			note = "all N rows"
		}
		*l.m = measure{name: l.name, rows: n, note: note}
		for i := 1; i <= b.o.runs; i++ {
			log.Printf("run %d/%d: %s", i, b.o.runs, l.name)
			start := time.Now()
			got, err := naive(ctx, b.pg, b.my, sample, l.per)
			if err != nil {
				return err
			}
			took := time.Since(start)
			if got != int64(sample) {
				return fmt.Errorf("%s wrote %d rows, want %d", l.name, got, sample)
			}
			l.m.add(time.Duration(float64(took) * float64(n) / float64(sample)))
		}
	}
	return nil
}

// fourN loads a source of 4N rows once, to show that syncd's memory does
// not grow with the table.
func (b *bench) fourN(ctx context.Context) error {
	n := 4 * int64(b.o.rows)
	log.Printf("generating %d source rows for the memory run (not timed)", n)
	if err := generate(ctx, b.o.pgBench, int(n), b.o.later); err != nil {
		return err
	}
	m := &b.results.first4N
	*m = measure{name: "syncd first load of 4N", rows: n, note: "memory"}
	log.Printf("syncd first load of %d rows", n)
	return b.firstLoad(ctx, b.o.syncd, b.config, m, n)
}
