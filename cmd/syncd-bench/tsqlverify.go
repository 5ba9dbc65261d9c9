package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// The T-SQL verify stage (issue 22): the ERP table in the T-SQL server,
// loaded by syncd, and timed in each run: one plain read of the whole
// source table through go-mssqldb (the baseline), syncd verify of the
// equal table, then, after 0.1% of the rows deleted and 0.1% changed
// behind the cursor, syncd verify and syncd reconcile of the drift; the
// table is checked equal again after each reconcile.

// tsqlVerify is the stage's figures.
type tsqlVerify struct {
	n                           int
	read, equal, drifted, recon measure
	deletedPerRun, changedRun   int64
	deleted                     int64 // by every run so far
	server                      string
	skipped                     string // why the stage did not run, when it did not
}

// tsqlVerifyStage runs the stage on -tsql-verify-rows rows; after the ERP
// stage, whose erp_lines it replaces.
func (b *bench) tsqlVerifyStage(ctx context.Context) error {
	n := b.o.tsqlVerifyRows
	if n < 1 {
		return nil
	}
	s, err := b.tsqlSource(ctx)
	if err != nil || s == nil {
		return err
	}
	v := &tsqlVerify{n: n, server: s.name}
	b.results.tsqlVerify = v
	v.read = measure{name: "limit: one plain read of the whole source table (go-mssqldb, no ORDER BY)", rows: int64(n)}
	v.equal = measure{name: "syncd verify, equal table", rows: int64(n), note: "read only"}
	v.drifted = measure{name: "syncd verify, 0.1% deleted + 0.1% changed", rows: int64(n), note: "read only"}
	v.recon = measure{name: "syncd reconcile, 0.1% deleted + 0.1% changed", rows: int64(n), note: "finds and repairs"}
	config, err := b.tsqlVerifyLoad(ctx, s, n)
	if err != nil {
		return err
	}
	for i := 1; i <= b.o.runs; i++ {
		log.Printf("t-sql verify stage, %d rows, run %d/%d: read, verify, drift, verify, reconcile", n, i, b.o.runs)
		if err := b.tsqlVerifyRun(ctx, s, v, config, i); err != nil {
			return fmt.Errorf("t-sql verify stage, %d rows: %w", n, err)
		}
	}
	return nil
}

// tsqlSource is the ERP stage's T-SQL source, opened here when that stage
// did not run; nil (the stage skipped and said) without a T-SQL server
// outside CI.
func (b *bench) tsqlSource(ctx context.Context) (*erpSource, error) {
	if b.ms == nil {
		switch dsn := b.o.msDSN; {
		case (dsn == "" || dsn == "none") && os.Getenv("CI") != "":
			return nil, fmt.Errorf("no T-SQL server for the T-SQL verify stage under CI: -mssql is %q (.ci/babelfish gives one)", dsn)
		case dsn == "" || dsn == "none":
			b.results.tsqlVerify = &tsqlVerify{skipped: "no T-SQL server (-mssql or SYNCD_TEST_MSSQL_DSN): the T-SQL verify stage was skipped"}
			log.Print(b.results.tsqlVerify.skipped)
			return nil, nil
		}
		db, dsn, err := openTSQL(ctx, b.o.msDSN, b.o.database)
		if err != nil {
			return nil, err
		}
		b.ms, b.o.msBench = db, dsn
	}
	return tsqlERP(b.ms), nil
}

// tsqlVerifyLoad replaces the T-SQL erp_lines with n rows and loads them
// into a fresh erp_tsql with syncd (not timed); it returns the config.
func (b *bench) tsqlVerifyLoad(ctx context.Context, s *erpSource, n int) (string, error) {
	log.Printf("t-sql verify stage: generating and loading %d rows (not timed)", n)
	if err := generateERPTSQL(ctx, b.ms, n, b.o.later); err != nil {
		return "", err
	}
	config, err := writeERPConfig(filepath.Join(b.tmp, "tsqlverify"), b.o.pgBench, b.o.msBench, b.o.myConfig, b.o.batch, true, "")
	if err != nil {
		return "", err
	}
	if err := b.erpFreshTarget(ctx, s.key); err != nil {
		return "", err
	}
	c, err := runSyncdTable(ctx, b.o.syncd, config, "erp_"+s.key)
	if err == nil && c.inserted != int64(n) {
		err = fmt.Errorf("first load of erp_%s inserted %d rows, want %d", s.key, c.inserted, n)
	}
	if err != nil {
		return "", err
	}
	return config, s.sameERP(ctx, b.my, "erp_"+s.key)
}

// tsqlVerifyRun is run i of the stage: the read, verify of the equal
// table, the drift, its verify and reconcile, and verify equal after.
func (b *bench) tsqlVerifyRun(ctx context.Context, s *erpSource, v *tsqlVerify, config string, i int) error {
	target := "erp_" + s.key
	var got int64
	err := b.timed(&v.read, func() (err error) {
		got, err = readTSQLTable(ctx, s)
		return err
	})
	if err != nil {
		return err
	}
	if want := int64(v.n) - v.deleted; got != want {
		return fmt.Errorf("the plain read got %d rows, want %d", got, want)
	}
	if err := b.verifyFinds(ctx, &v.equal, config, target, 0, 0); err != nil {
		return err
	}
	del, chg, err := driftTSQL(ctx, s, i)
	if err != nil {
		return err
	}
	v.deletedPerRun, v.changedRun, v.deleted = del, chg, v.deleted+del
	if err := b.verifyFinds(ctx, &v.drifted, config, target, del, chg); err != nil {
		return err
	}
	var rc struct {
		Deleted  int64
		Repaired struct{ Updated int64 }
	}
	if err := b.timedChild(ctx, &v.recon, &rc, 0, b.o.syncd, "reconcile", target, "--json", "--config", config); err != nil {
		return err
	}
	if rc.Deleted != del || rc.Repaired.Updated != chg {
		return fmt.Errorf("reconcile deleted %d and updated %d rows, want %d and %d", rc.Deleted, rc.Repaired.Updated, del, chg)
	}
	if _, code, _, err := runChild(ctx, b.o.syncd, "verify", target, "--config", config); err != nil || code != 0 {
		return fmt.Errorf("verify after reconcile: exit %d, %v", code, err)
	}
	return s.sameERP(ctx, b.my, target)
}

// verifyFinds times syncd verify of target into m and checks that it
// found extra rows and different ones.
func (b *bench) verifyFinds(ctx context.Context, m *measure, config, target string, extra, different int64) error {
	var out struct{ Extra, Different, Missing int64 }
	if err := b.timedChild(ctx, m, &out, 1, b.o.syncd, "verify", target, "--json", "--config", config); err != nil {
		return err
	}
	if out.Extra != extra || out.Different != different || out.Missing != 0 {
		return fmt.Errorf("verify found %d extra, %d different and %d missing rows, want %d, %d and 0",
			out.Extra, out.Different, out.Missing, extra, different)
	}
	return nil
}

// readTSQLTable reads every column of every row of the source table once, as a
// client that wants the whole table does, and counts the rows.
func readTSQLTable(ctx context.Context, s *erpSource) (int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+strings.Join(erpColumns, ", ")+" FROM "+s.table)
	if err != nil {
		return 0, fmt.Errorf("%s: read erp_lines: %w", s.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(erpColumns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// driftTSQL deletes the rows whose id is 2i modulo 1000 and changes those
// at 2i+1 without moving their cursor: 0.1% each, other rows each run.
func driftTSQL(ctx context.Context, s *erpSource, i int) (deleted, changed int64, err error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM "+s.table+" WHERE id % 1000 = @p1", 2*i)
	if err == nil {
		deleted, err = res.RowsAffected()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: delete 0.1%% of erp_lines: %w", s.name, err)
	}
	res, err = s.db.ExecContext(ctx, "UPDATE "+s.table+" SET qty = qty + 1, description = N'changed behind the cursor' WHERE id % 1000 = @p1", 2*i+1)
	if err == nil {
		changed, err = res.RowsAffected()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: change 0.1%% of erp_lines: %w", s.name, err)
	}
	return deleted, changed, nil
}

// writeTSQLVerify prints the stage's table and its two ratios beside
// their goals.
func (r results) writeTSQLVerify(w io.Writer) {
	v := r.tsqlVerify
	if v == nil {
		return
	}
	fmt.Fprintln(w, "\n### Verify and reconcile on a T-SQL source")
	fmt.Fprintln(w)
	if v.skipped != "" {
		fmt.Fprintf(w, "- %s\n", v.skipped)
		return
	}
	fmt.Fprintf(w, "The ERP table `erp_lines` (%d columns) in %s, %d rows, synced by syncd into `erp_tsql`; in each run 0.1%% of the rows deleted and 0.1%% changed behind the cursor (%d and %d in the last).\n\n",
		len(erpColumns), v.server, v.n, v.deletedPerRun, v.changedRun)
	fmt.Fprintln(w, "| rows (N) | measurement | runs | seconds min / median / max | peak RSS (median) |")
	fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: |")
	for _, m := range []measure{v.read, v.equal, v.drifted, v.recon} {
		name := m.name
		if m.note != "" {
			name += " (" + m.note + ")"
		}
		rss := m.rssText()
		if rss == "" {
			rss = "(in syncd-bench)"
		}
		fmt.Fprintf(w, "| %d | %s | %d | %s | %s |\n", v.n, name, len(m.times), m.timesText(), rss)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- verify of the equal table / one plain read of it: **%.2f** (goal: 3 or less)\n",
		ratio(v.equal.median().Seconds(), v.read.median().Seconds()))
	fmt.Fprintf(w, "- reconcile / verify of the drifted table: **%.2f** (goal: 2 or less)\n",
		ratio(v.recon.median().Seconds(), v.drifted.median().Seconds()))
	if v.n < 1_000_000 {
		fmt.Fprintf(w, "- the goals are set for N = 1,000,000; at %d rows the fixed cost of each syncd run (start, connections, setup queries) weighs more against the read\n", v.n)
	}
}
