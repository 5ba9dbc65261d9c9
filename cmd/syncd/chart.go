package main

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/sync/state"
)

// chartData is what a table's chart draws: its lag and the rows each run
// read between From and Now.
type chartData struct {
	Table     string
	From, Now time.Time
	Lag       []lagPoint
	Runs      []state.RunRow // started in the window, in any order
	// Folded counts the table's quiet scheduled runs that are not listed
	// (folded into the table's state): between listed runs the line is then an
	// upper bound.
	Folded int64
}

// chartBox is the geometry of a chart: its size in pixels and where
// its two panels sit, lag above rows.
type chartBox struct {
	w, h           int
	left, right    float64 // x of the plot's edges
	lagTop, lagBot float64
	rowTop, rowBot float64
}

// Chart sizes: the status page's thumbnail and the run history's.
var (
	smallChart = newChartBox(300, 110)
	largeChart = newChartBox(760, 220)
)

func newChartBox(w, h int) chartBox {
	const top, axis, gap = 14, 16, 18
	avail := float64(h - top - axis - gap)
	b := chartBox{w: w, h: h, left: 46, right: float64(w) - 10, lagTop: top}
	b.lagBot = b.lagTop + math.Round(avail/2)
	b.rowTop = b.lagBot + gap
	b.rowBot = float64(h - axis)
	return b
}

// x places t on the time axis.
func (b chartBox) x(d chartData, t time.Time) float64 {
	span := d.Now.Sub(d.From).Seconds()
	if span <= 0 {
		return b.right
	}
	f := t.Sub(d.From).Seconds() / span
	return b.left + math.Max(0, math.Min(1, f))*(b.right-b.left)
}

// renderChart draws d as an SVG image: no script, no font or style from
// elsewhere, readable in an <img> and inline alike.
func renderChart(d chartData, b chartBox) string {
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		b.w, b.h, b.w, b.h, html.EscapeString(chartTitle(d)))
	fmt.Fprintf(&s, `<title>%s</title>`, html.EscapeString(chartTitle(d)))
	s.WriteString(`<style>text{font:10px system-ui,sans-serif;fill:#555}.t{fill:#222;font-weight:600}.grid{stroke:#e4e4e4}.axis{stroke:#999}</style>`)
	drawLag(&s, d, b)
	drawRows(&s, d, b)
	drawTimeAxis(&s, d, b)
	s.WriteString(`</svg>`)
	return s.String()
}

func chartTitle(d chartData) string {
	return fmt.Sprintf("%s: lag and rows read per run, last %s", d.Table, axisDuration(d.Now.Sub(d.From)))
}

// drawLag draws the lag panel: the sawtooth, its scale in time units.
func drawLag(s *strings.Builder, d chartData, b chartBox) {
	var top time.Duration
	for _, p := range d.Lag {
		top = max(top, p.Lag)
	}
	top = niceDuration(top)
	name := "lag"
	if d.Folded > 0 {
		// Quiet runs between the listed ones may have brought it lower.
		name = "lag, at most (quiet runs not drawn)"
	}
	if n := len(d.Lag); n > 0 {
		name += ", now " + axisDuration(d.Lag[n-1].Lag)
	}
	panel(s, b, b.lagTop, b.lagBot, name, axisDuration(top))
	if len(d.Lag) == 0 {
		fmt.Fprintf(s, `<text x="%.1f" y="%.1f">no successful run yet</text>`, b.left+6, (b.lagTop+b.lagBot)/2+3)
		return
	}
	var pts []string
	for _, p := range d.Lag {
		y := b.lagBot - p.Lag.Seconds()/top.Seconds()*(b.lagBot-b.lagTop)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", b.x(d, p.At), math.Max(b.lagTop, y)))
	}
	fmt.Fprintf(s, `<polyline class="lag" points="%s" fill="none" stroke="#1f6fb2" stroke-width="1.5"/>`, strings.Join(pts, " "))
}

// drawRows draws the rows panel: a bar per run, or per slice of time
// when the runs are too many for the width; failed runs as red marks.
func drawRows(s *strings.Builder, d chartData, b chartBox) {
	bars, per := rowBars(d, b)
	top := rowScale(bars)
	label := "rows read per run"
	if per > 0 {
		label = "rows read per " + axisDuration(per)
	}
	panel(s, b, b.rowTop, b.rowBot, label, groupDigits(top))
	width := max(1, min(8, (b.right-b.left)/float64(max(len(bars), 1))-1))
	for _, r := range bars {
		h := float64(min(r.rows, top)) / float64(top) * (b.rowBot - b.rowTop)
		x := b.x(d, r.at) - width/2
		fmt.Fprintf(s, `<rect class="rows" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#7aa974"><title>%s</title></rect>`,
			x, b.rowBot-h, width, h, html.EscapeString(r.title))
		if r.rows > top {
			// Cut at the scale of the others, marked so, the count in the tooltip.
			fmt.Fprintf(s, `<rect class="cut" x="%.1f" y="%.1f" width="%.1f" height="3" fill="#2e5e2a"><title>%s (cut)</title></rect>`,
				x, b.rowTop-3, width, html.EscapeString(r.title))
		}
	}
	for _, r := range d.Runs {
		if r.Status == state.StatusFailed {
			fmt.Fprintf(s, `<rect class="failed" x="%.1f" y="%.1f" width="3" height="5" fill="#c0392b"><title>%s</title></rect>`,
				b.x(d, r.Started)-1.5, b.rowBot+1, html.EscapeString(fmt.Sprintf("run %d failed: %s", r.ID, r.Error)))
		}
	}
}

// rowScale is the top of the rows panel: the largest bar, unless a few
// bars (an initial load, a full re-sync) dwarf the rest; those are cut
// at a scale that shows the others.
func rowScale(bars []bar) int64 {
	if len(bars) == 0 {
		return 1
	}
	n := make([]int64, len(bars))
	for i, r := range bars {
		n[i] = r.rows
	}
	slices.Sort(n)
	top, p90 := n[len(n)-1], n[(len(n)-1)*9/10]
	if p90 > 0 && top > 4*p90 {
		return niceInt(p90 * 2)
	}
	return niceInt(top)
}

// panel draws a panel's frame, its name and the value of its top line.
func panel(s *strings.Builder, b chartBox, top, bot float64, name, topLabel string) {
	fmt.Fprintf(s, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, b.left, top, b.right, top)
	fmt.Fprintf(s, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, b.left, bot, b.right, bot)
	fmt.Fprintf(s, `<text class="t" x="%.1f" y="%.1f">%s</text>`, b.left, top-3, html.EscapeString(name))
	fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, b.left-4, top+4, html.EscapeString(topLabel))
	fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="end">0</text>`, b.left-4, bot)
}

// drawTimeAxis labels the time axis in time before now, at a round step.
func drawTimeAxis(s *strings.Builder, d chartData, b chartBox) {
	span := d.Now.Sub(d.From)
	step := niceDuration(span / 6)
	fmt.Fprintf(s, `<text x="%.1f" y="%d" text-anchor="end">now</text>`, b.right, b.h-3)
	for ago := step; ago <= span; ago += step {
		x, anchor := b.x(d, d.Now.Add(-ago)), "middle"
		if x-b.left < 14 {
			if x-b.left > 0.5 { // no room for a label centred there
				break
			}
			anchor = "start" // the plot's left edge
		}
		fmt.Fprintf(s, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, b.rowBot, x, b.rowBot+3)
		fmt.Fprintf(s, `<text x="%.1f" y="%d" text-anchor="%s">-%s</text>`, x, b.h-3, anchor, axisDuration(ago))
	}
}

// bar is one bar of the rows panel.
type bar struct {
	at    time.Time
	rows  int64
	title string
}

// rowBars returns a bar per run, or, when there are more runs than
// room for bars 2 px apart, a bar per slice of time (per > 0).
func rowBars(d chartData, b chartBox) ([]bar, time.Duration) {
	slots := int((b.right - b.left) / 2)
	if len(d.Runs) <= slots {
		out := make([]bar, 0, len(d.Runs))
		for _, r := range d.Runs {
			out = append(out, bar{r.Started, r.Read, fmt.Sprintf("run %d %s: %s rows read", r.ID, r.Status, groupDigits(r.Read))})
		}
		return out, 0
	}
	per := niceDuration(d.Now.Sub(d.From) / time.Duration(slots))
	sums := map[int64]int64{}
	for _, r := range d.Runs {
		sums[int64(r.Started.Sub(d.From)/per)] += r.Read
	}
	out := make([]bar, 0, len(sums))
	for i, n := range sums {
		at := d.From.Add(time.Duration(i)*per + per/2)
		out = append(out, bar{at, n, fmt.Sprintf("%s rows read in the %s from %s", groupDigits(n), axisDuration(per), at.Add(-per/2).Format(time.TimeOnly))})
	}
	return out, per
}

// niceDuration rounds d up to a scale a person reads at a glance.
func niceDuration(d time.Duration) time.Duration {
	for _, n := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if d <= n {
			return n
		}
	}
	return (d + 24*time.Hour - 1).Truncate(24 * time.Hour)
}

// niceInt rounds n up to 1, 2 or 5 times a power of ten.
func niceInt(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if n <= m*p {
				return m * p
			}
		}
	}
}

// axisDuration is shortDuration without a trailing zero unit: 1d, 6h,
// 5m, 1h30m.
func axisDuration(d time.Duration) string {
	s := shortDuration(d)
	for _, z := range []string{"0h", "0m", "0s"} {
		if t := strings.TrimSuffix(s, z); t != s && t != "" && t[len(t)-1] >= 'a' {
			return t
		}
	}
	return s
}

// groupDigits writes n with thousands separated by commas.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
