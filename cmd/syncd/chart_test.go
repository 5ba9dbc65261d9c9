package main

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/state"
)

// run is a run of the chart tests: started at s, ended at e, seconds
// after t0; e == stillRunning: not ended.
const stillRunning = -1 << 31

func run(id int64, status string, t0 time.Time, s, e int, read int64) state.RunRow {
	r := state.RunRow{ID: id, Status: status, Started: t0.Add(time.Duration(s) * time.Second), Read: read}
	if e != stillRunning {
		end := t0.Add(time.Duration(e) * time.Second)
		r.Ended = &end
	}
	return r
}

// The lag is a sawtooth: just after a successful run ends at E it is E
// minus (the run's start minus settle), and it grows a second a second
// until the next successful run ends. Failed and running runs move
// nothing; before the first success there is no lag.
func TestLagSeries(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	runs := []state.RunRow{
		run(4, state.StatusOK, t0, 100, 104, 10),
		run(5, state.StatusFailed, t0, 110, 111, 0),
		run(6, state.StatusOK, t0, 120, 130, 5),
		run(7, state.StatusRunning, t0, 140, stillRunning, 0),
	}
	settle := 5 * time.Second
	want := []lagPoint{
		{at(104), 9 * time.Second},  // 104 - (100 - 5)
		{at(130), 35 * time.Second}, // grew until run 6 ended
		{at(130), 15 * time.Second}, // 130 - (120 - 5)
		{at(150), 35 * time.Second}, // now
	}
	got := lagSeries(runs, nil, settle, at(0), at(150))
	if !equalPoints(got, want) {
		t.Errorf("time cursor, settle 5s:\n got %v\nwant %v", got, want)
	}
	// Integer and rowversion cursors: the bound is the run's start.
	if got := lagSeries(runs, nil, 0, at(0), at(150)); len(got) != 4 || got[0].Lag != 4*time.Second || got[3].Lag != 30*time.Second {
		t.Errorf("integer cursor: %v; want 4s after run 4, 30s now", got)
	}
	// A success before the window starts the line at the window's edge.
	prior := run(1, state.StatusOK, t0, -50, -40, 3)
	if got := lagSeries(runs, &prior, settle, at(0), at(150)); len(got) < 2 || !got[0].At.Equal(at(0)) || got[0].Lag != 55*time.Second || got[1].Lag != 159*time.Second {
		t.Errorf("with a success before the window: %v; want 55s at its start, 159s when run 4 ends", got)
	}
	if got := lagSeries(runs[1:2], nil, settle, at(0), at(150)); len(got) != 0 {
		t.Errorf("no success: %v; want no lag line", got)
	}
}

func equalPoints(a, b []lagPoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].At.Equal(b[i].At) || a[i].Lag != b[i].Lag {
			return false
		}
	}
	return true
}

// The chart is well-formed SVG with its axes labelled in units, a bar
// per run, failed runs marked with their error, and a bar per slice of
// time when the runs are too many for the width.
func TestRenderChart(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	t0 := now.Add(-time.Hour)
	runs := []state.RunRow{run(1, state.StatusOK, t0, 0, 2, 1200), run(2, state.StatusFailed, t0, 600, 601, 0), run(3, state.StatusOK, t0, 1200, 1210, 300)}
	runs[1].Error = `connection refused <&>`
	d := chartData{Table: "items", From: t0, Now: now, Runs: runs, Lag: lagSeries(runs, nil, 5*time.Second, t0, now)}
	svg := renderChart(d, largeChart)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	for _, want := range []string{">lag, now 40m5s<", ">rows read per run<", ">2,000<", ">1h<", ">-1h<", ">-30m<", ">now<", "run 2 failed: connection refused &lt;&amp;&gt;", `class="lag"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %s:\n%s", want, svg)
		}
	}
	if n := strings.Count(svg, `class="rows"`); n != 3 {
		t.Errorf("%d bars, want one per run", n)
	}
	// An initial load dwarfs the runs after it: cut, marked, at a scale
	// that shows the others.
	d.Runs = nil
	for i, n := range []int64{5000, 10, 12, 9, 11, 8, 10, 12, 9, 11, 8} {
		d.Runs = append(d.Runs, run(int64(i), state.StatusOK, t0, i*60, i*60+1, n))
	}
	if svg := renderChart(d, largeChart); strings.Count(svg, `class="cut"`) != 1 || !strings.Contains(svg, ">50<") {
		t.Errorf("an initial load of 5,000 rows among runs of about 10: want it cut, the scale 50:\n%s", svg)
	}
	var many []state.RunRow
	for i := range 3000 {
		many = append(many, run(int64(i), state.StatusOK, t0, i, i+1, 2))
	}
	d.Runs = many
	svg = renderChart(d, smallChart)
	if n := strings.Count(svg, `class="rows"`); n == 0 || n > 150 || !strings.Contains(svg, ">rows read per ") || strings.Contains(svg, ">rows read per run<") {
		t.Errorf("3000 runs in 300 px: %d bars; want one per slice of time, labelled so", n)
	}
}

// Without script the pages reload every 10 s (and only then: with
// script they follow the event stream instead).
func TestPagesReloadWithoutScript(t *testing.T) {
	for name, data := range map[string]any{"status.html": pageData{Monitor: "/monitor/"}, "table.html": historyData{Monitor: "/monitor/"}} {
		var b strings.Builder
		must(t, pageTemplate.ExecuteTemplate(&b, name, data))
		page := b.String()
		if !strings.Contains(page, `<noscript><meta http-equiv="refresh" content="10"></noscript>`) || strings.Count(page, `http-equiv="refresh"`) != 1 ||
			!strings.Contains(page, `<script src="/live.js" defer></script>`) {
			t.Errorf("%s: want a reload inside <noscript> only, and live.js:\n%s", name, page)
		}
	}
}

// Quiet scheduled runs are folded, not listed: the chart says its lag
// line is an upper bound then, and not otherwise.
func TestChartSaysFoldedRunsAreNotDrawn(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	runs := []state.RunRow{run(1, state.StatusOK, t0, 0, 10, 10)}
	d := chartData{Table: "items", From: t0, Now: t0.Add(time.Hour), Runs: runs, Lag: lagSeries(runs, nil, 0, t0, t0.Add(time.Hour))}
	if svg := renderChart(d, largeChart); strings.Contains(svg, "at most") {
		t.Errorf("no folded runs, yet the lag is called an upper bound:\n%s", svg)
	}
	d.Folded = 3
	if svg := renderChart(d, largeChart); !strings.Contains(svg, "lag, at most (quiet runs not drawn)") {
		t.Errorf("folded runs, yet the lag is drawn as exact:\n%s", svg)
	}
}
