package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
)

// erpStage is the user's shape (issue 21): the ERP table from PostgreSQL
// and from a T-SQL server into the table target.create makes (the cursor
// index included; -bare-target: a primary key only), each figure beside
// its limit measured in the same run.
type erpStage struct {
	srcs []*erpSource
	// per source, by key: the measures of the stage.
	first, load, catchUp, merge map[string]*measure
	// base holds the first loads of -baseline, interleaved with first.
	base map[string]*measure
	// sizes says, per source, the target's size against the buffer pool.
	sizes   map[string]string
	skipped string // why the T-SQL source is absent, when it is
}

func erpFlags(o *options) {
	flag.IntVar(&o.erpRows, "erp-rows", 0, "rows of the ERP stage's table, in each source (0: -rows; -1: skip the stage)")
	flag.StringVar(&o.msDSN, "mssql", os.Getenv("SYNCD_TEST_MSSQL_DSN"), "T-SQL server of the ERP stage (sqlserver:// URL of a login that creates databases; empty or none: PostgreSQL only, an error under CI)")
	flag.StringVar(&o.erpDefaults, "erp-settings", "", "ERP stage: settings added to each declaration, comma-separated (e.g. 'merge_pages: 10, lookback: 0s'), to show where a catch-up's time goes")
	flag.BoolVar(&o.bareTarget, "bare-target", false, "ERP stage: a target with its primary key alone, made by the benchmark, instead of the table target.create makes (cursor index included)")
	flag.BoolVar(&o.onlyERP, "only-erp", false, "run the ERP stage alone")
	flag.IntVar(&o.tsqlVerifyRows, "tsql-verify-rows", 250_000, "rows of the T-SQL verify stage: verify and reconcile of the ERP table in the T-SQL server of -mssql against one read of it (0: skip it)")
}

// erpSources opens the ERP stage's sources, none when it does not run.
func (b *bench) erpSources(ctx context.Context) ([]*erpSource, error) {
	if b.o.erpRows < 1 && !b.o.onlyERP {
		return nil, nil
	}
	srcs := []*erpSource{postgresERP(b.pg)}
	switch dsn := b.o.msDSN; {
	case (dsn == "" || dsn == "none") && os.Getenv("CI") != "":
		return nil, fmt.Errorf("no T-SQL server for the ERP stage under CI: -mssql is %q (.ci/babelfish gives one)", dsn)
	case dsn == "" || dsn == "none":
		b.erp.skipped = "no T-SQL server (-mssql or SYNCD_TEST_MSSQL_DSN): its source was skipped"
		log.Print("erp stage: " + b.erp.skipped)
		return srcs, nil
	}
	db, dsn, err := openTSQL(ctx, b.o.msDSN, b.o.database)
	if err != nil {
		return nil, err
	}
	b.ms, b.o.msBench = db, dsn
	return append(srcs, tsqlERP(db)), nil
}

// erpStage runs the stage: first loads, then catch-ups of a tenth.
func (b *bench) erpStage(ctx context.Context, srcs []*erpSource) (err error) {
	e := &b.erp
	e.srcs, e.sizes = srcs, map[string]string{}
	e.first, e.load, e.catchUp, e.merge = map[string]*measure{}, map[string]*measure{}, map[string]*measure{}, map[string]*measure{}
	e.base = map[string]*measure{}
	n := int64(b.o.erpRows)
	log.Printf("erp stage: generating %d rows in each source (not timed)", n)
	if err := generateERPPostgres(ctx, b.o.pgBench, b.o.erpRows, b.o.later); err != nil {
		return err
	}
	if len(srcs) > 1 {
		if err := generateERPTSQL(ctx, b.ms, b.o.erpRows, b.o.later); err != nil {
			return err
		}
		if err := sameSources(ctx, srcs[0], srcs[1]); err != nil {
			return err
		}
	}
	b.erpConfig, err = writeERPConfig(filepath.Join(b.tmp, "erp"), b.o.pgBench, b.o.msBench, b.o.myConfig, b.o.batch, !b.o.bareTarget, b.o.erpDefaults)
	if err != nil {
		return err
	}
	tsv := filepath.Join(b.tmp, "erp.tsv")
	if err := srcs[0].export(ctx, tsv, ""); err != nil {
		return err
	}
	for _, s := range srcs {
		e.first[s.key] = &measure{name: "syncd first load, " + s.name, rows: n}
		e.load[s.key] = &measure{name: "limit: LOAD DATA LOCAL INFILE, key order, into a table like syncd's", rows: n}
		e.base[s.key] = &measure{name: "syncd first load, " + s.name + ", baseline", rows: n, note: b.o.baseline}
	}
	for i := 1; i <= b.o.runs; i++ {
		for _, s := range srcs {
			log.Printf("erp run %d/%d: %s first load and LOAD DATA", i, b.o.runs, s.name)
			if b.o.baseline != "" {
				if err := b.erpSyncdLoad(ctx, s, b.o.baseline, e.base[s.key], n); err != nil {
					return err
				}
			}
			if err := b.erpFirstLoad(ctx, s, tsv, n); err != nil {
				return err
			}
		}
	}
	for _, s := range srcs {
		if e.sizes[s.key], err = b.poolFit(ctx, "erp_"+s.key); err != nil {
			return err
		}
	}
	return b.erpCatchUps(ctx)
}

// erpFirstLoad times syncd's first load of s into an empty target, then
// LOAD DATA of the same rows in key order into an empty table of the same
// definition (indexes included).
func (b *bench) erpFirstLoad(ctx context.Context, s *erpSource, tsv string, n int64) error {
	target, limit := "erp_"+s.key, "erp_limit_"+s.key
	if err := b.erpSyncdLoad(ctx, s, b.o.syncd, b.erp.first[s.key], n); err != nil {
		return err
	}
	for _, q := range []string{"DROP TABLE IF EXISTS " + limit, "CREATE TABLE " + limit + " LIKE " + target} {
		if _, err := b.my.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("limit table: %w", err)
		}
	}
	var got int64
	lim := b.erp.load[s.key]
	err := b.timed(lim, func() (err error) {
		got, err = loadInto(ctx, b.my, tsv, limit)
		return err
	})
	if err == nil {
		log.Printf("%s: %.2f s", lim.name, lim.times[len(lim.times)-1].Seconds())
	}
	if err == nil && got != n {
		err = fmt.Errorf("LOAD DATA into %s wrote %d rows, want %d", limit, got, n)
	}
	return err
}

// erpSyncdLoad times the first load of s by the syncd binary bin into an
// empty target, and checks it.
func (b *bench) erpSyncdLoad(ctx context.Context, s *erpSource, bin string, m *measure, n int64) error {
	target := "erp_" + s.key
	if err := b.erpFreshTarget(ctx, s.key); err != nil {
		return err
	}
	var c childRun
	err := b.timed(m, func() (err error) {
		c, err = runSyncdTable(ctx, bin, b.erpConfig, target)
		return err
	})
	if err != nil {
		return err
	}
	m.rss, m.own = append(m.rss, c.maxRSS), append(m.own, c.cpu)
	log.Printf("%s: %.2f s, syncd CPU %.2f s", m.name, m.times[len(m.times)-1].Seconds(), c.cpu.Seconds())
	if c.read != n || c.inserted != n {
		return fmt.Errorf("%s: first load of %s read %d and inserted %d rows, want %d", bin, target, c.read, c.inserted, n)
	}
	return s.sameERP(ctx, b.my, target)
}

// erpFreshTarget drops a source's target and forgets its state; with
// -bare-target it makes the bare table (no cursor index) itself, else
// syncd's first run creates it (target.create).
func (b *bench) erpFreshTarget(ctx context.Context, key string) error {
	stmts := []string{"DROP TABLE IF EXISTS erp_" + key}
	if b.o.bareTarget {
		stmts = append(stmts, erpBareDDL("erp_"+key))
	}
	for _, q := range stmts {
		if _, err := b.my.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recreate target erp_%s: %w", key, err)
		}
	}
	_, err := b.my.ExecContext(ctx, "DELETE FROM syncd_state WHERE table_name = ?", "erp_"+key)
	if err != nil && !isNoTable(err) {
		return fmt.Errorf("reset state: %w", err)
	}
	return nil
}

// erpBareDDL is the target with its primary key alone, in the types
// target.create picks for both sources.
func erpBareDDL(name string) string {
	return "CREATE TABLE " + name + ` (
	id BIGINT NOT NULL PRIMARY KEY, doc_no VARCHAR(20) NOT NULL, line_no INT NOT NULL,
	customer_code VARCHAR(12) NOT NULL, item_code VARCHAR(24) NOT NULL, description VARCHAR(200) NOT NULL,
	qty DECIMAL(18,4) NOT NULL, unit_price DECIMAL(19,4) NOT NULL, amount DECIMAL(19,2) NOT NULL,
	currency VARCHAR(3) NOT NULL, status SMALLINT NOT NULL, approved TINYINT(1) NOT NULL,
	warehouse VARCHAR(10) NOT NULL, created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`
}

// loadInto is LOAD DATA LOCAL INFILE of path into table, on db or on the
// connection that holds a temporary table.
func loadInto(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, path, table string) (int64, error) {
	gomysql.RegisterLocalFile(path)
	defer gomysql.DeregisterLocalFile(path)
	// The path is the benchmark's own temporary file, not a value from a
	// row; LOAD DATA takes no parameter for it.
	q := "LOAD DATA LOCAL INFILE '" + path + "' INTO TABLE " + table + " CHARACTER SET utf8mb4 (" + strings.Join(erpColumns, ", ") + ")"
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("load data into %s: %w", table, err)
	}
	return res.RowsAffected()
}

// poolFit says how the target table's size compares with MariaDB's buffer
// pool: a table larger than the pool is read from disk by every write
// that misses it, as a user's large table is.
func (b *bench) poolFit(ctx context.Context, table string) (string, error) {
	var pool, data, index int64
	if _, err := b.my.ExecContext(ctx, "ANALYZE TABLE "+table); err != nil {
		return "", err
	}
	err := b.my.QueryRowContext(ctx, `SELECT @@innodb_buffer_pool_size, DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table).Scan(&pool, &data, &index)
	if err != nil {
		return "", fmt.Errorf("size of %s: %w", table, err)
	}
	verdict := "smaller than the buffer pool: the target stays in memory"
	if data+index > pool {
		verdict = "**larger than the buffer pool**: writes that miss it read pages from disk"
	}
	return fmt.Sprintf("%d MiB (data %d MiB + indexes %d MiB) against innodb_buffer_pool_size %d MiB: %s",
		(data+index)>>20, data>>20, index>>20, pool>>20, verdict), nil
}

// sameSources checks that two sources were given the same rows.
func sameSources(ctx context.Context, a, b *erpSource) error {
	pa, err := a.fingerprintOf(ctx)
	if err != nil {
		return err
	}
	pb, err := b.fingerprintOf(ctx)
	if err != nil {
		return err
	}
	if pa != pb {
		return fmt.Errorf("the generated sources differ: %s %v, %s %v", a.name, pa, b.name, pb)
	}
	return nil
}
