// Command syncd-bench measures syncd against the physical limit and the
// usual hand-written sync, side by side in one run on the local PostgreSQL
// (source) and MariaDB (target). See docs/benchmarks.md.
//
//	syncd-bench -rows 1000000 -runs 3 -out docs/benchmarks.md
//	syncd-bench -rows 10000 -runs 1 -skip-4n   (the smoke mode)
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/syncd/syncd/tables"
)

type options struct {
	rows, runs, batch, later   int
	baselineBatch              int
	naiveSample, batchSample   int
	skip4N, keep               bool
	rate                       int
	snapshotWorkers            []int
	freshChanges               int
	redis                      string
	out, syncd, pgURL, myDSN   string
	baseline                   string
	database                   string
	pgBench, myBench, myConfig string
	// The many-tables stage.
	many                              []int
	manyRows, manyChurn, manyHistory  int
	manyConcurrency                   int
	manyEvery, manyWindow, manyWarmup time.Duration
	manyBaseline, onlyMany            bool
	onlyLookback                      bool
	lookbackRuns                      int
	manyBefore                        string
	// The reconcile stage: table sizes, and -only-reconcile; naiveKeys
	// makes the process the stage's naive baseline (a child of its own).
	reconcileSizes           []int
	onlyReconcile, naiveKeys bool
	// The ERP stage (issue 21): rows, the T-SQL server (admin DSN, then
	// the benchmark database's), a bare target instead of a created one.
	erpRows             int
	erpDefaults         string
	msDSN, msBench      string
	bareTarget, onlyERP bool
	// The T-SQL verify stage (issue 22): its table's rows, 0 to skip.
	tsqlVerifyRows int
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.rows, "rows", 1_000_000, "rows in the source table (N)")
	flag.IntVar(&o.runs, "runs", 3, "times each figure is measured")
	flag.IntVar(&o.batch, "batch", tables.DefaultBatchSize, "syncd's batch_size, and the page size of the source read")
	flag.IntVar(&o.later, "later", 30, "percent of the source rows updated after creation, out of key order")
	flag.IntVar(&o.naiveSample, "naive-sample", 5000, "rows the row-by-row loop writes, extrapolated to N")
	flag.IntVar(&o.batchSample, "batch-sample", 1_000_000, "rows the 100-row-batch loop writes, extrapolated to N (all N when N is smaller)")
	flag.BoolVar(&o.skip4N, "skip-4n", false, "skip the first load of 4N rows that shows memory is flat in N")
	flag.IntVar(&o.rate, "rate", 50_000, "rows per second of the rate: stage, a first load with rate: declared (0: skip it)")
	flag.IntVar(&o.freshChanges, "fresh-changes", 200, "changes timed from source commit to visible in the target (0: skip freshness)")
	flag.StringVar(&o.redis, "redis", "127.0.0.1:6379", "Redis for the freshness run's queue (a queue of its own, removed after)")
	flag.BoolVar(&o.keep, "keep", false, "keep the syncd_bench databases for inspection")
	flag.StringVar(&o.out, "out", "", "write the results into this Markdown file (e.g. docs/benchmarks.md)")
	flag.StringVar(&o.syncd, "syncd", "bin/syncd", "the syncd binary to measure")
	flag.StringVar(&o.baseline, "baseline", "", "another syncd binary (an older build) whose first load is measured alongside, for A/B evidence")
	flag.IntVar(&o.baselineBatch, "baseline-batch", 0, "measure the baseline's first load with this batch_size (with no -baseline: the same binary)")
	flag.StringVar(&o.pgURL, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (URL; its database is replaced)")
	flag.StringVar(&o.myDSN, "mysql", "root@tcp(127.0.0.1:3306)/", "MariaDB server (go-sql-driver DSN; its database is replaced)")
	flag.StringVar(&o.database, "db", "syncd_bench", "name of the databases the benchmark creates and drops on both servers")
	snapWorkers := flag.String("snapshot-workers", "1,2,4", "worker processes of the snapshot stages, comma-separated; each splits the table in as many parts (empty: skip)")
	many := flag.String("many", "200,1000", "table counts of the many-tables stage, comma-separated (empty: skip it)")
	flag.IntVar(&o.manyRows, "many-rows", 1000, "rows in each table of the many-tables stage")
	flag.IntVar(&o.manyChurn, "many-churn", 20, "rows changed a second, each in a random table, in the many-tables stage")
	flag.IntVar(&o.manyHistory, "many-history", 1_000_000, "runs of history put in syncd_runs before the status page is timed")
	flag.IntVar(&o.manyConcurrency, "many-concurrency", 8, "worker.concurrency of the many-tables stage")
	flag.DurationVar(&o.manyEvery, "many-every", 10*time.Second, "schedule of every table of the many-tables stage")
	flag.DurationVar(&o.manyWindow, "many-window", time.Minute, "how long each many-tables stage is measured, after catching up")
	flag.DurationVar(&o.manyWarmup, "many-warmup", 10*time.Minute, "how long the first loads of the many-tables stage may take")
	flag.BoolVar(&o.manyBaseline, "many-baseline", true, "measure the many-tables stage again with -no-setup-cache, the behaviour before kept setups")
	flag.BoolVar(&o.onlyMany, "only-many", false, "run the many-tables stage alone")
	flag.StringVar(&o.manyBefore, "many-before", "", "a syncd binary built before kept setups, measured in the many-tables stage too")
	reconcile := flag.String("reconcile", "1000000,250000", "table sizes of the reconcile stage, comma-separated (empty: skip it)")
	flag.BoolVar(&o.onlyReconcile, "only-reconcile", false, "run the reconcile stage alone")
	flag.BoolVar(&o.naiveKeys, "naive-keys", false, "(internal) be the reconcile stage's naive key comparison on -pg and -mysql")
	flag.BoolVar(&o.onlyLookback, "only-lookback", false, "run the lookback stage alone: quiet runs of the N-row table with lookback 0, default and 1h")
	flag.IntVar(&o.lookbackRuns, "lookback-runs", 30, "rounds of the lookback stage (each times one quiet run of every setting)")
	erpFlags(&o)
	flag.Parse()
	if o.erpRows == 0 {
		o.erpRows = o.rows
	}
	o.many = parseCounts("many", *many)
	o.reconcileSizes = parseCounts("reconcile", *reconcile)
	o.snapshotWorkers = parseCounts("snapshot-workers", *snapWorkers)
	return o
}

// parseCounts reads "200,1000"; a bad number ends the program.
func parseCounts(flagName, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			log.Fatalf("-%s: %q is not a count", flagName, f)
		}
		out = append(out, n)
	}
	return out
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("syncd-bench: ")
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if o.naiveKeys {
		if err := naiveKeys(ctx, o.pgURL, o.myDSN); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(ctx, o); err != nil {
		log.Print(err)
		stop()
		os.Exit(1)
	}
}

// bench holds the pools and paths of one benchmark run.
type bench struct {
	o      options
	pg, my *sql.DB
	tmp    string
	config string
	// baseConfig is the config of the baseline runs: config, or one with
	// -baseline-batch.
	baseConfig string
	results    results
	// cpu reads the target server's CPU time; nil when it cannot.
	cpu func() time.Duration
	// lookbackDoc is the lookback stage's report.
	lookbackDoc string
	// ms is the T-SQL source of the ERP stage, nil without one.
	ms        *sql.DB
	erp       erpStage
	erpConfig string
}

func run(ctx context.Context, o options) (err error) {
	if o.runs < 1 || o.rows < 1 {
		return errors.New("-rows and -runs must be at least 1")
	}
	b := &bench{o: o}
	if err := b.setUp(ctx); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, b.tearDown()) }()
	if err := b.measureAll(ctx); err != nil {
		return err
	}
	var sb strings.Builder
	b.results.writeTable(&sb)
	b.results.writeReconcile(&sb)
	b.results.writeTSQLVerify(&sb)
	fmt.Print(sb.String())
	if err := b.reportERP(ctx); err != nil || o.onlyERP {
		return err
	}
	if o.onlyLookback {
		fmt.Print(b.lookbackDoc)
		if o.out != "" {
			return writeDoc(o.out, b.document(ctx, b.lookbackDoc), beginLookbackMark, endLookbackMark)
		}
		return nil
	}
	if o.out != "" {
		if o.onlyReconcile {
			return writeDoc(o.out, b.document(ctx, sb.String()), beginReconcileMark, endReconcileMark)
		}
		if o.onlyMany {
			return writeDoc(o.out, b.document(ctx, sb.String()), beginManyMark, endManyMark)
		}
		return writeDoc(o.out, b.document(ctx, sb.String()), beginMark, endMark)
	}
	return nil
}

func (b *bench) measureAll(ctx context.Context) error {
	b.results.manyEvery = b.o.manyEvery
	switch {
	case b.o.onlyLookback:
		return b.onlyLookback(ctx)
	case b.o.onlyMany:
		return b.manyTables(ctx)
	case b.o.onlyReconcile:
		if err := b.reconcileStage(ctx); err != nil {
			return err
		}
		return b.tsqlVerifyStage(ctx)
	}
	// First: a T-SQL server that cannot be had fails the run at once.
	erpSrcs, err := b.erpSources(ctx)
	if err != nil {
		return err
	}
	if b.o.onlyERP {
		return b.erpStage(ctx, erpSrcs)
	}
	if err := b.measureLoads(ctx); err != nil {
		return err
	}
	if b.o.erpRows > 0 {
		if err := b.erpStage(ctx, erpSrcs); err != nil {
			return err
		}
	}
	if err := b.reconcileStage(ctx); err != nil {
		return err
	}
	// After the ERP stage: it replaces the T-SQL erp_lines.
	if err := b.tsqlVerifyStage(ctx); err != nil {
		return err
	}
	return b.manyTables(ctx)
}

func (b *bench) measureLoads(ctx context.Context) error {
	log.Printf("generating %d source rows (not timed)", b.o.rows)
	if err := generate(ctx, b.o.pgBench, b.o.rows, b.o.later); err != nil {
		return err
	}
	tsv, tsvCursor := filepath.Join(b.tmp, "items.tsv"), filepath.Join(b.tmp, "items-cursor.tsv")
	if err := exportTSV(ctx, b.o.pgBench, tsv, "id"); err != nil {
		return err
	}
	if err := exportTSV(ctx, b.o.pgBench, tsvCursor, "updated_at, id"); err != nil {
		return err
	}
	if err := b.firstLoads(ctx, tsv, tsvCursor); err != nil {
		return err
	}
	if err := b.incremental(ctx); err != nil {
		return err
	}
	b.results.rateDeclared = b.o.rate
	if err := b.rateStage(ctx); err != nil {
		return err
	}
	// After the catch-up, which needs the ordinary first load's cursor.
	if err := b.snapshotStage(ctx); err != nil {
		return err
	}
	if err := b.naiveLoops(ctx); err != nil {
		return err
	}
	if b.o.freshChanges > 0 {
		if err := b.freshness(ctx); err != nil {
			return err
		}
	}
	if b.o.skip4N {
		return nil
	}
	return b.fourN(ctx)
}

// setUp creates the benchmark's databases on both servers and opens them.
func (b *bench) setUp(ctx context.Context) error {
	u, err := url.Parse(b.o.pgURL)
	if err != nil {
		return fmt.Errorf("-pg: %w", err)
	}
	admin, err := sql.Open("pgx", b.o.pgURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + b.o.database + " WITH (FORCE)", "CREATE DATABASE " + b.o.database} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("postgres: %s: %w", q, err)
		}
	}
	u.Path = "/" + b.o.database
	b.o.pgBench = u.String()
	if b.pg, err = sql.Open("pgx", b.o.pgBench); err != nil {
		return err
	}
	if err := b.setUpMariaDB(ctx); err != nil {
		return err
	}
	b.tmp, err = os.MkdirTemp("", "syncd-bench-")
	if err != nil {
		return err
	}
	if b.config, err = writeConfig(b.tmp, b.o.pgBench, b.o.myConfig, b.o.batch); err != nil {
		return err
	}
	b.baseConfig = b.config
	if b.o.baselineBatch > 0 {
		if b.o.baseline == "" {
			b.o.baseline = b.o.syncd
		}
		b.baseConfig, err = writeConfig(filepath.Join(b.tmp, "baseline"), b.o.pgBench, b.o.myConfig, b.o.baselineBatch)
	}
	b.cpu = serverCPU(ctx, b.my)
	return err
}

func (b *bench) setUpMariaDB(ctx context.Context) error {
	cfg, err := gomysql.ParseDSN(b.o.myDSN)
	if err != nil {
		return fmt.Errorf("-mysql: %w", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + b.o.database,
		"CREATE DATABASE " + b.o.database + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mariadb: %s: %w", q, err)
		}
	}
	cfg.DBName = b.o.database
	b.o.myConfig = cfg.FormatDSN()
	cfg.ParseTime = true
	b.o.myBench = cfg.FormatDSN()
	b.my, err = sql.Open("mysql", b.o.myBench)
	return err
}

// tearDown drops the databases unless -keep, and removes the temporary
// files.
func (b *bench) tearDown() error {
	ctx := context.Background()
	var errs []error
	if b.tmp != "" {
		errs = append(errs, os.RemoveAll(b.tmp))
	}
	if b.my != nil {
		if !b.o.keep {
			_, err := b.my.ExecContext(ctx, "DROP DATABASE IF EXISTS "+b.o.database)
			errs = append(errs, err)
		}
		b.my.Close()
	}
	if b.pg != nil {
		b.pg.Close()
		if !b.o.keep {
			errs = append(errs, dropPostgres(ctx, b.o.pgURL, b.o.database))
		}
	}
	if b.ms != nil {
		b.ms.Close()
		if !b.o.keep {
			errs = append(errs, dropTSQL(ctx, b.o.msDSN, b.o.database))
		}
	}
	if b.o.keep {
		log.Printf("kept databases %s on the servers", b.o.database)
	}
	return errors.Join(errs...)
}

func (b *bench) document(ctx context.Context, table string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Produced by:\n\n```\n%s\n```\n\n", commandLine())
	sb.WriteString("Machine and servers:\n\n")
	for _, f := range facts(ctx, b.pg, b.my) {
		sb.WriteString("- " + f + "\n")
	}
	sb.WriteString("\n" + table + "\n")
	return sb.String()
}

// commandLine is the benchmark's command line as the report prints it,
// DSNs redacted (-mssql carries a password).
func commandLine() string {
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	for i, a := range args {
		args[i] = tables.RedactDSN(a)
	}
	return strings.Join(args, " ")
}
