package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// measure is one line of the table: a figure measured runs times.
type measure struct {
	name string
	// rows is how many rows each run moved (or, extrapolated, would move).
	rows  int64
	times []time.Duration
	// rss holds peak resident set sizes, for the syncd runs.
	rss []int64
	// cpu holds the target server's CPU time in each run, where readable;
	// own syncd's (user and system, of the syncd process) where it ran one.
	cpu, own []time.Duration
	note     string
}

func (m *measure) add(d time.Duration) { m.times = append(m.times, d) }

func (m measure) sorted() []time.Duration {
	s := slices.Clone(m.times)
	slices.Sort(s)
	return s
}

func (m measure) median() time.Duration {
	s := m.sorted()
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rate is rows per second at the median time.
func (m measure) rate() float64 {
	if med := m.median(); med > 0 {
		return float64(m.rows) / med.Seconds()
	}
	return 0
}

func (m measure) timesText() string {
	s := m.sorted()
	if len(s) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f / %.2f / %.2f", s[0].Seconds(), m.median().Seconds(), s[len(s)-1].Seconds())
}

func (m measure) cpuText() string { return medianText(m.cpu) }

func medianText(ds []time.Duration) string {
	if len(ds) == 0 {
		return ""
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("%.2f", s[len(s)/2].Seconds())
}

func (m measure) rssText() string {
	if len(m.rss) == 0 {
		return ""
	}
	s := slices.Clone(m.rss)
	slices.Sort(s)
	return fmt.Sprintf("%.0f MiB", float64(s[len(s)/2])/(1<<20))
}

// results are every measure of one benchmark run.
type results struct {
	limit, limitCursor, read, first, baseline measure
	naive, batch100, incr, first4N            measure
	// incrBase is the baseline binary's catch-up, rated the first load
	// with rate: rateDeclared.
	incrBase, rated measure
	rateDeclared    int
	// snapshots are the snapshot first loads, by worker count.
	snapshots []measure
	// fresh holds each change's delay from source commit to visible.
	fresh []time.Duration
	// many holds the stages of many tables, and manyEvery their schedule.
	many      []manyStage
	manyEvery time.Duration
	// reconciles holds the reconcile stage, by table size.
	reconciles []reconcileSize
	// tsqlVerify is the T-SQL verify stage, nil when it did not run.
	tsqlVerify *tsqlVerify
}

func (r results) lines() []measure {
	out := []measure{r.limit, r.limitCursor, r.read, r.first}
	out = append(out, r.snapshots...)
	if len(r.baseline.times) > 0 {
		out = append(out, r.baseline)
	}
	out = append(out, r.naive, r.batch100, r.incr)
	for _, m := range []measure{r.incrBase, r.rated} {
		if len(m.times) > 0 {
			out = append(out, m)
		}
	}
	if len(r.first4N.times) > 0 {
		out = append(out, r.first4N)
	}
	return out
}

// writeTable prints the results as a Markdown table and the ratios below.
func (r results) writeTable(w io.Writer) {
	if len(r.limit.times) == 0 {
		r.writeMany(w, r.manyEvery)
		return
	}
	fmt.Fprintln(w, "| measurement | rows | runs | seconds min / median / max | rows/s (median) | vs LOAD DATA | target server CPU s (median) | syncd CPU s (median) | peak RSS |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, m := range r.lines() {
		name := m.name
		if m.note != "" {
			name += " (" + m.note + ")"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %.0f | %.2f | %s | %s | %s |\n", name, m.rows, len(m.times), m.timesText(), m.rate(), ratio(m.rate(), r.limit.rate()), m.cpuText(), medianText(m.own), m.rssText())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- syncd first load / LOAD DATA limit: **%.2f** (goal: 0.85 or more)\n", ratio(r.first.rate(), r.limit.rate()))
	fmt.Fprintf(w, "- syncd first load / LOAD DATA in (updated_at, id) order, an ordinary run's write order: %.2f\n", ratio(r.first.rate(), r.limitCursor.rate()))
	for _, m := range r.snapshots {
		fmt.Fprintf(w, "- %s / LOAD DATA limit: **%.2f**; / naive 100-row batches: %.1f x\n", m.name, ratio(m.rate(), r.limit.rate()), ratio(m.rate(), r.batch100.rate()))
	}
	if len(r.baseline.times) > 0 {
		fmt.Fprintf(w, "- syncd first load / baseline's: %.2f\n", ratio(r.first.rate(), r.baseline.rate()))
	}
	fmt.Fprintf(w, "- syncd first load / source read alone: %.2f\n", ratio(r.first.rate(), r.read.rate()))
	fmt.Fprintf(w, "- syncd first load / naive row-by-row: %.1f x\n", ratio(r.first.rate(), r.naive.rate()))
	fmt.Fprintf(w, "- syncd first load / naive 100-row batches: %.1f x\n", ratio(r.first.rate(), r.batch100.rate()))
	fmt.Fprintf(w, "- syncd incremental catch-up: **%.0f rows/s** (goal: 100000 or more); / naive row-by-row: %.1f x\n", r.incr.rate(), ratio(r.incr.rate(), r.naive.rate()))
	if len(r.incrBase.times) > 0 {
		fmt.Fprintf(w, "- syncd incremental catch-up / baseline's: %.2f\n", ratio(r.incr.rate(), r.incrBase.rate()))
	}
	fmt.Fprint(w, r.rateLine())
	if len(r.first4N.rss) > 0 {
		fmt.Fprintf(w, "- peak RSS of syncd: %s at N, %s at 4N\n", r.first.rssText(), r.first4N.rssText())
	}
	if len(r.fresh) > 0 {
		goal := freshEvery + freshSettle + time.Second
		p99 := percentile(r.fresh, 99)
		verdict := "within"
		if p99 > goal {
			verdict = "over"
		}
		fmt.Fprintf(w, "- freshness, source commit to visible in the target, %d changes with `syncd run` at @every %v and settle %v: p50 %.2f s, p95 %.2f s, p99 **%.2f s**, max %.2f s (%s the goal of interval + settle + 1 s = %v)\n",
			len(r.fresh), freshEvery, freshSettle, percentile(r.fresh, 50).Seconds(), percentile(r.fresh, 95).Seconds(), p99.Seconds(),
			percentile(r.fresh, 100).Seconds(), verdict, goal)
	}
	r.writeMany(w, r.manyEvery)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// facts describes the machine and the servers the figures come from.
func facts(ctx context.Context, pg, my *sql.DB) []string {
	out := []string{
		fmt.Sprintf("cores (nproc): %d; %s; %s/%s", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH),
		"syncd built with " + runtime.Version(),
	}
	var v string
	var pool, flush, logSize, packet int64
	var binlog, infile string
	if err := my.QueryRowContext(ctx, `SELECT VERSION(), @@innodb_buffer_pool_size, @@innodb_flush_log_at_trx_commit,
		@@innodb_log_file_size, @@max_allowed_packet, @@log_bin, @@local_infile`).Scan(&v, &pool, &flush, &logSize, &packet, &binlog, &infile); err == nil {
		out = append(out, fmt.Sprintf("target: MariaDB %s; innodb_buffer_pool_size %d MiB, innodb_flush_log_at_trx_commit %d, "+
			"innodb_log_file_size %d MiB, max_allowed_packet %d MiB, log_bin %s, local_infile %s",
			v, pool>>20, flush, logSize>>20, packet>>20, binlog, infile))
	}
	var pv, shared, sync string
	if err := pg.QueryRowContext(ctx, "SELECT version(), current_setting('shared_buffers'), current_setting('synchronous_commit')").Scan(&pv, &shared, &sync); err == nil {
		if i := strings.Index(pv, " on "); i > 0 {
			pv = pv[:i]
		}
		out = append(out, fmt.Sprintf("source: %s; shared_buffers %s, synchronous_commit %s", pv, shared, sync))
	}
	out = append(out, "both servers on loopback on the same machine as syncd, which is shared with other work: compare ratios, not absolute times")
	return out
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "cpu unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "cpu unknown"
}

// Markers around the generated part of docs/benchmarks.md; what stands
// outside them is written by hand and kept.
const (
	beginMark = "<!-- syncd-bench: generated, do not edit by hand -->"
	endMark   = "<!-- syncd-bench: end -->"
)

// Markers of the many-tables stage's own part, written by -only-many, so
// that running it alone leaves the other figures as they are.
const (
	beginManyMark = "<!-- syncd-bench -only-many: generated, do not edit by hand -->"
	endManyMark   = "<!-- syncd-bench -only-many: end -->"
)

// writeDoc writes the generated part into path, between the markers when
// the file has them (at its end when it has not), else as a new file.
func writeDoc(path, generated, begin, end string) error {
	body := begin + "\n" + generated + end + "\n"
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		if i, j := strings.Index(s, begin), strings.Index(s, end); i >= 0 && j > i {
			body = s[:i] + body + strings.TrimPrefix(s[j+len(end):], "\n")
		} else {
			body = s + "\n" + body
		}
	} else {
		body = "# syncd benchmarks\n\n" + body
	}
	return os.WriteFile(path, []byte(body), 0o644)
}
