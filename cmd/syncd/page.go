package main

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/state"
)

// pageFiles are the pages' templates, style and script, in the binary:
// no build step, nothing to serve from disk.
//
//go:embed web/*.html web/live.js
var pageFiles embed.FS

var pageTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"seconds":  secondsText,
	"ago":      func(t *time.Time) string { return agoText(t, time.Now()) },
	"next":     func(t *time.Time) string { return nextText(t, time.Now()) },
	"percent":  percent,
	"dash":     orDash,
	"taskText": taskText,
	"parts":    partsText,
	"row":      func(s queue.TableStatus, readOnly bool) rowData { return rowData{s, readOnly} },
	"utc":      func(t time.Time) string { return t.UTC().Format(time.DateTime) },
	"took":     tookText,
}).ParseFS(pageFiles, "web/*.html"))

// pageData is what the status page shows.
type pageData struct {
	Tables   []queue.TableStatus
	ReadOnly bool
	Monitor  string
	Now      time.Time
}

// page serves the status page: every declared table with its lag, last
// run and task, a progress bar for a running initial load, and pause,
// resume and sync-now buttons unless http.read_only is set.
func (w *web) page(rw http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	data := pageData{Tables: w.statuses(ctx), ReadOnly: w.cfg.HTTP.ReadOnly, Monitor: monitorPath + "/", Now: time.Now()}
	renderPage(rw, "status.html", data)
}

// tookText is how long a run took, or has been running.
func tookText(r state.RunRow) string {
	if r.Ended == nil {
		return shortDuration(time.Since(r.Started)) + "…"
	}
	d := r.Ended.Sub(r.Started)
	if d < 10*time.Second {
		return d.Round(time.Millisecond).String()
	}
	return shortDuration(d)
}

// percent is the share of a running initial load done, 0 to 100.
func percent(s queue.TableStatus) int {
	if s.Progress == nil || s.Total <= 0 {
		return 0
	}
	return int(min(100, s.Progress.Rows*100/s.Total))
}
