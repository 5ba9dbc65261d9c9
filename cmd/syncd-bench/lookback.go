package main

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/tables"
)

// Markers of the lookback stage's own part, written by -only-lookback.
const (
	beginLookbackMark = "<!-- syncd-bench -only-lookback: generated, do not edit by hand -->"
	endLookbackMark   = "<!-- syncd-bench -only-lookback: end -->"
)

// lookbackVariant is one lookback setting whose quiet runs are timed.
type lookbackVariant struct {
	name     string
	lookback time.Duration
	times    measure
	window   int64 // source rows in the window behind the cursor
}

// lookbackStage times quiet runs of the synced N-row table (nothing to
// read) in this process, as a worker with a kept setup runs them:
// lookback 0, the default (3 times settle), one hour and seven days
// (windows of more and more rows), interleaved
// round by round so that the noise of a shared machine falls on all
// three alike.
func (b *bench) lookbackStage(ctx context.Context) (string, error) {
	pools := connect.NewPools(&tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: b.o.pgBench},
		"dst": {Driver: tables.DriverMySQL, DSN: b.o.myConfig},
	}})
	defer pools.Close()
	vs := []*lookbackVariant{{name: "lookback: 0"}, {name: "lookback: default (3 x settle 1s)", lookback: 3 * time.Second},
		{name: "lookback: 1h", lookback: time.Hour}, {name: "lookback: 7d", lookback: 7 * 24 * time.Hour}}
	jobs := make([]*connect.Job, len(vs))
	for i, v := range vs {
		job, err := connect.Open(ctx, pools, lookbackTable(b.o.batch, v.lookback))
		if err != nil {
			return "", err
		}
		defer job.Close()
		jobs[i] = job
		if v.lookback == 0 {
			continue
		}
		if v.window, err = b.windowRows(ctx, v.lookback); err != nil {
			return "", err
		}
	}
	for round := 1; round <= b.o.lookbackRuns; round++ {
		for i, v := range vs {
			if err := b.quietRun(ctx, jobs[i], &v.times); err != nil {
				return "", fmt.Errorf("%s, round %d: %w", v.name, round, err)
			}
		}
	}
	return lookbackReport(vs, b.o.rows, b.o.lookbackRuns), nil
}

// lookbackTable is the benchmark's table as the stage declares it.
func lookbackTable(batch int, lookback time.Duration) tables.Table {
	return tables.Table{
		Name:      "bench_items",
		Source:    tables.Source{Connection: "src", Table: "public.items", Key: []string{"id"}, Cursor: "updated_at", CursorClock: tables.ClockLocal},
		Target:    tables.Target{Connection: "dst", Table: "items", Evolve: tables.EvolveNone},
		BatchSize: batch, Settle: time.Second, Lookback: lookback, OnBadRows: tables.OnBadRowsReject, Deletes: tables.DeletesDelete,
		Timeout: time.Hour, PageTimeout: 10 * time.Minute,
	}
}

// quietRun times one run that must find nothing, behind the cursor
// included.
func (b *bench) quietRun(ctx context.Context, job *connect.Job, m *measure) error {
	return b.timed(m, func() error {
		// A scheduled run of a kept setup, as a worker runs a quiet table:
		// it peeks, finds nothing and folds itself into syncd_state.
		rec, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerSchedule, Cached: true, Logger: zerolog.Nop()})
		if err == nil && (rec.Read != 0 || rec.Late != 0) {
			err = fmt.Errorf("a quiet run read %d rows, %d late: the table is not quiet", rec.Read, rec.Late)
		}
		return err
	})
}

// windowRows counts the source rows in the lookback's window behind the
// greatest cursor (where a synced table's cursor stands).
func (b *bench) windowRows(ctx context.Context, lookback time.Duration) (int64, error) {
	var n int64
	err := b.pg.QueryRowContext(ctx, "SELECT COUNT(*) FROM items WHERE updated_at >= (SELECT MAX(updated_at) FROM items) - $1 * interval '1 microsecond'",
		lookback.Microseconds()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the window's rows: %w", err)
	}
	return n, nil
}

// lookbackReport is the stage's Markdown table: each setting's median
// and spread, and its median over lookback 0's.
func lookbackReport(vs []*lookbackVariant, rows, runs int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Quiet runs of a synced %d-row table (PostgreSQL to MariaDB), %d rounds, the settings interleaved in each round, "+
		"each a scheduled run of a kept setup timed in one process, as a worker runs it: peek, upper bound, first page (empty), "+
		"lookback, fold into syncd_state (no process start, no setup):\n\n", rows, runs)
	sb.WriteString("The first round's run compares the window; the window is then settled (the source's clock is past it by lookback) " +
		"and later runs skip it while the cursor stays: the first column is that comparison, the others the rounds after it.\n\n")
	sb.WriteString("| setting | rows in the window | first run | median | min | max | median / lookback 0 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	base := median(vs[0].times.times[1:])
	for _, v := range vs {
		first := v.times.times[0]
		v.times.times = v.times.times[1:]
		s := v.times.sorted()
		fmt.Fprintf(&sb, "| %s | %d | %s | %s | %s | %s | %.2f |\n", v.name, v.window, ms(first), ms(v.times.median()), ms(s[0]), ms(s[len(s)-1]),
			float64(v.times.median())/float64(base))
		log.Printf("%s: median %s (min %s, max %s), %d rows in the window", v.name, ms(v.times.median()), ms(s[0]), ms(s[len(s)-1]), v.window)
	}
	return sb.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// onlyLookback generates the N-row source, loads it with the syncd binary
// (not timed) and runs the lookback stage.
func (b *bench) onlyLookback(ctx context.Context) error {
	log.Printf("generating %d source rows (not timed)", b.o.rows)
	if err := generate(ctx, b.o.pgBench, b.o.rows, b.o.later); err != nil {
		return err
	}
	if err := freshTarget(ctx, b.my, "items"); err != nil {
		return err
	}
	log.Print("first load (not timed)")
	if _, err := runSyncd(ctx, b.o.syncd, b.config); err != nil {
		return err
	}
	var err error
	b.lookbackDoc, err = b.lookbackStage(ctx)
	return err
}

func median(ds []time.Duration) time.Duration { return measure{times: ds}.median() }
