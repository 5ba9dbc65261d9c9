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
	// kept runs every round on one job (a worker's kept setup), where the
	// window, once settled, is not compared again; otherwise each round
	// opens a job of its own (not timed), whose run compares the window,
	// as every run does while the cursor moves.
	kept   bool
	job    *connect.Job
	times  measure
	window int64 // source rows in the window behind the cursor
}

// lookbackStage times quiet runs of the synced N-row table (nothing to
// read) in this process: lookback 0; the default (3 times settle), one
// hour and seven days compared at every run (windows of more and more
// rows); and the default on a kept setup, where the window settles. The
// settings are interleaved round by round, so that the noise of a shared
// machine falls on all of them alike.
func (b *bench) lookbackStage(ctx context.Context) (string, error) {
	pools := connect.NewPools(&tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: b.o.pgBench},
		"dst": {Driver: tables.DriverMySQL, DSN: b.o.myConfig},
	}})
	defer pools.Close()
	def := 3 * time.Second
	vs := []*lookbackVariant{{name: "lookback: 0"}, {name: "lookback: default (3 x settle 1s), compared", lookback: def},
		{name: "lookback: 1h, compared", lookback: time.Hour}, {name: "lookback: 7d, compared", lookback: 7 * 24 * time.Hour},
		{name: "lookback: default, kept setup (settled after its first run)", lookback: def, kept: true}}
	for _, v := range vs {
		var err error
		if v.window, err = b.windowRows(ctx, v.lookback); err != nil {
			return "", err
		}
	}
	defer func() {
		for _, v := range vs {
			if v.job != nil {
				v.job.Close()
			}
		}
	}()
	for round := 1; round <= b.o.lookbackRuns; round++ {
		for _, v := range vs {
			if err := b.lookbackRound(ctx, pools, v); err != nil {
				return "", fmt.Errorf("%s, round %d: %w", v.name, round, err)
			}
		}
	}
	return lookbackReport(vs, b.o.rows, b.o.lookbackRuns), nil
}

// lookbackRound times one quiet run of v, on a job opened for it unless
// v keeps one.
func (b *bench) lookbackRound(ctx context.Context, pools *connect.Pools, v *lookbackVariant) error {
	if v.job == nil || !v.kept {
		if v.job != nil {
			v.job.Close()
		}
		job, err := connect.Open(ctx, pools, lookbackTable(b.o.batch, v.lookback))
		if err != nil {
			return err
		}
		v.job = job
	}
	return b.quietRun(ctx, v.job, &v.times)
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
	if lookback == 0 {
		return 0, nil
	}
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
		"each a scheduled run timed in one process as a worker runs it: peek, upper bound, first page (empty), lookback, "+
		"fold into syncd_state (no process start; the job is opened before the clock starts). \"compared\" runs compare the window "+
		"(a fresh job each round, as every run does while the cursor moves); the kept setup compares it once and then finds it settled.\n\n", rows, runs)
	sb.WriteString("| setting | rows in the window | median | min | max | median / lookback 0 |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	base := vs[0].times.median()
	for _, v := range vs {
		s := v.times.sorted()
		fmt.Fprintf(&sb, "| %s | %d | %s | %s | %s | %.2f |\n", v.name, v.window, ms(v.times.median()), ms(s[0]), ms(s[len(s)-1]),
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
