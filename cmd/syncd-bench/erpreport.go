package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Markers of the ERP stage's own part of docs/benchmarks.md.
const (
	beginERPMark = "<!-- syncd-bench erp stage: generated, do not edit by hand -->"
	endERPMark   = "<!-- syncd-bench erp stage: end -->"
)

// reportERP prints the ERP stage's results, and writes them into -out
// between their own markers; nothing when the stage did not run.
func (b *bench) reportERP(ctx context.Context) error {
	if len(b.erp.srcs) == 0 {
		return nil
	}
	var sb strings.Builder
	b.erp.write(&sb, b.o)
	fmt.Print(sb.String())
	if b.o.out == "" {
		return nil
	}
	return writeDoc(b.o.out, b.document(ctx, sb.String()), beginERPMark, endERPMark)
}

func (e erpStage) write(w io.Writer, o options) {
	target := "the table `target.create` makes (primary key, utf8mb4, the index on the cursor)"
	if o.bareTarget {
		target = "a bare table (the primary key alone; -bare-target)"
	}
	fmt.Fprintf(w, "ERP table `erp_lines`, %d rows of %d columns (nvarchar, decimal, datetime2, bit, a text of 60-200 characters); target: %s; batch_size %d.\n\n",
		o.erpRows, len(erpColumns), target, o.batch)
	fmt.Fprintln(w, "| measurement | rows | runs | seconds min / median / max | rows/s (median) | target server CPU s (median) | syncd CPU s (median) | peak RSS |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range e.srcs {
		ms := []*measure{e.first[s.key], e.load[s.key], e.catchUp[s.key], e.merge[s.key]}
		if len(e.base[s.key].times) > 0 {
			ms = append(ms[:1], append([]*measure{e.base[s.key]}, ms[1:]...)...)
		}
		for _, m := range ms {
			name := m.name
			if m.note != "" {
				name += " (" + m.note + ")"
			}
			if m == e.load[s.key] || m == e.merge[s.key] {
				name += ", for " + s.name
			}
			fmt.Fprintf(w, "| %s | %d | %d | %s | %.0f | %s | %s | %s |\n", name, m.rows, len(m.times), m.timesText(), m.rate(), m.cpuText(), medianText(m.own), m.rssText())
		}
	}
	fmt.Fprintln(w)
	for _, s := range e.srcs {
		fmt.Fprintf(w, "- first load from %s / LOAD DATA in key order into the same table: **%.2f** (goal: 0.85 or more)\n",
			s.name, ratio(e.first[s.key].rate(), e.load[s.key].rate()))
	}
	for _, s := range e.srcs {
		if base := e.base[s.key]; len(base.times) > 0 {
			fmt.Fprintf(w, "- first load from %s / the baseline's: %.2f in time, %.2f in syncd's CPU seconds\n",
				s.name, ratio(e.first[s.key].rate(), base.rate()), ratio(medianSeconds(base.own), medianSeconds(e.first[s.key].own)))
		}
	}
	for _, s := range e.srcs {
		fmt.Fprintf(w, "- catch-up from %s / the one-statement merge of the same rows: **%.2f** (goal: 0.75 or more)\n",
			s.name, ratio(e.catchUp[s.key].rate(), e.merge[s.key].rate()))
	}
	for _, s := range e.srcs {
		fmt.Fprintf(w, "- target `erp_%s` after its first load: %s\n", s.key, e.sizes[s.key])
	}
	if e.skipped != "" {
		fmt.Fprintf(w, "- %s\n", e.skipped)
	}
	fmt.Fprintln(w)
}

// medianSeconds is the median of ds in seconds, 0 for none.
func medianSeconds(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Seconds()
}
