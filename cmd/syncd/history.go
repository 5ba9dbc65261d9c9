package main

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// The charts look back chartWindow, reading at most chartRuns runs of a
// table (a day of runs every 10 s) along the (table_name, id) index.
const (
	chartWindow = 24 * time.Hour
	chartRuns   = 10000
)

// historyRuns is how many runs the run history shows unless ?limit= says.
const historyRuns = 100

// pages routes the status page's companions onto mux: a table's run
// history, its chart, its row of the status page, the event stream and
// the script that follows it.
func (w *web) pages(mux *http.ServeMux) {
	mux.HandleFunc("GET /tables/{name}", w.withTable(w.history))
	mux.HandleFunc("GET /tables/{name}/chart.svg", w.withTable(w.chart))
	mux.HandleFunc("GET /tables/{name}/row", w.withTable(w.row))
	mux.HandleFunc("GET /api/events", w.events)
	mux.HandleFunc("GET /live.js", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFileFS(rw, r, pageFiles, "web/live.js")
	})
}

// historyData is what a table's run history shows.
type historyData struct {
	Row      rowData
	Chart    template.HTML
	Runs     []state.RunRow
	Limit    int
	Monitor  string
	Problems []string
}

// history serves a table's page: its status row, its chart of the last
// day, and its runs newest first with their counts and errors
// (?limit=N, default 100).
func (w *web) history(rw http.ResponseWriter, r *http.Request, t tables.Table) {
	limit := historyRuns
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(rw, http.StatusBadRequest, "query parameter limit: %q (allowed: 1 to 10000)", v)
			return
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	now := time.Now()
	d := historyData{Row: rowData{w.ops.Status(ctx, []tables.Table{t})[0], w.cfg.HTTP.ReadOnly}, Limit: limit, Monitor: monitorPath + "/"}
	if c, err := w.readChart(ctx, t, now); err != nil {
		d.Problems = append(d.Problems, "chart: "+err.Error())
	} else {
		d.Chart = template.HTML(renderChart(c, largeChart)) // #nosec G203 -- built by renderChart, every text escaped
	}
	var err error
	if d.Runs, err = w.ops.Runs(ctx, t, state.RunFilter{Limit: limit}); err != nil {
		d.Problems = append(d.Problems, "run log: "+err.Error())
	}
	renderPage(rw, "table.html", d)
}

// chart serves a table's chart of the last day as SVG.
func (w *web) chart(rw http.ResponseWriter, r *http.Request, t tables.Table) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	c, err := w.readChart(ctx, t, time.Now())
	if err != nil {
		writeError(rw, http.StatusServiceUnavailable, "%v", err)
		return
	}
	rw.Header().Set("Content-Type", "image/svg+xml")
	rw.Header().Set("Cache-Control", "no-cache")
	_, _ = rw.Write([]byte(renderChart(c, smallChart)))
}

// row serves a table's rows of the status page, for the page to put in
// place of its own when the table's sync starts or ends.
func (w *web) row(rw http.ResponseWriter, r *http.Request, t tables.Table) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	renderPage(rw, "rowdoc", rowData{w.ops.Status(ctx, []tables.Table{t})[0], w.cfg.HTTP.ReadOnly})
}

// renderPage executes one of the page templates into rw; a template
// that fails leaves no half page behind.
func renderPage(rw http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(rw, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = b.WriteTo(rw)
}

// readChart reads what t's chart draws: the runs started in the last
// day (at most chartRuns of them) and the last successful run before,
// where the lag line starts.
func (w *web) readChart(ctx context.Context, t tables.Table, now time.Time) (chartData, error) {
	d := chartData{Table: t.Name, From: now.Add(-chartWindow), Now: now}
	var err error
	if d.Runs, err = w.ops.Runs(ctx, t, state.RunFilter{Since: d.From, Limit: chartRuns}); err != nil {
		return d, err
	}
	// Quiet scheduled runs are folded into the state, not listed: only
	// the newest is known, and it ends the lag line where it is.
	f, err := w.ops.Folded(ctx, t)
	if err != nil {
		return d, err
	}
	d.Folded = f.Count
	if f.Ended != nil && f.Started.After(d.From) {
		d.Runs = append([]state.RunRow{*queue.FoldedRun(t.Name, f, "")}, d.Runs...)
	}
	before := d.From
	if n := len(d.Runs); n == chartRuns {
		before = d.Runs[n-1].Started
		d.From = before
	}
	prior, ok, err := w.ops.LastSuccessBefore(ctx, t, before)
	if err != nil {
		return d, err
	}
	var pp *state.RunRow
	if ok {
		pp = &prior
	} else if n := len(d.Runs); n > 0 && d.Runs[n-1].Started.After(d.From) {
		// A table younger than the window: its chart starts at its first run.
		d.From = d.Runs[n-1].Started
	}
	d.From = minTime(d.From, now.Add(-time.Minute))
	settle, err := lagSettle(ctx, w.ops, t)
	if err != nil {
		return d, err
	}
	d.Lag = lagSeries(d.Runs, pp, settle, d.From, now)
	return d, nil
}

// lagSettle is the settle the lag of t counts: its declared settle for a
// time cursor, none for integer and rowversion cursors, whose upper
// bound is the source's newest value at the run's start.
func lagSettle(ctx context.Context, o *ops.Service, t tables.Table) (time.Duration, error) {
	st, _, err := o.State(ctx, t)
	if err != nil {
		return 0, err
	}
	if _, timed := st.Position.Cursor.(time.Time); timed {
		return t.Settle, nil
	}
	return 0, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// backTo is the page of this server a form was sent from, when it is a
// table's run history; "/" (the status page) otherwise.
func backTo(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host || !strings.HasPrefix(u.Path, "/tables/") {
		return "/"
	}
	return u.Path
}

// rowData is one table's rows on the status page.
type rowData struct {
	queue.TableStatus
	ReadOnly bool
}
