package main

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/syncd/syncd/queue"
)

// pageFiles are the status page's template and style, in the binary: no
// build step, nothing to serve from disk.
//
//go:embed web/status.html
var pageFiles embed.FS

var pageTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"seconds":  secondsText,
	"ago":      func(t *time.Time) string { return agoText(t, time.Now()) },
	"next":     func(t *time.Time) string { return nextText(t, time.Now()) },
	"percent":  percent,
	"dash":     orDash,
	"taskText": taskText,
}).ParseFS(pageFiles, "web/status.html"))

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
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pageTemplate.Execute(rw, data); err != nil {
		// Headers are out: all that is left is to end the page visibly.
		_, _ = rw.Write([]byte("<p>status page: " + template.HTMLEscapeString(err.Error()) + "</p>"))
	}
}

// percent is the share of a running initial load done, 0 to 100.
func percent(s queue.TableStatus) int {
	if s.Progress == nil || s.Total <= 0 {
		return 0
	}
	return int(min(100, s.Progress.Rows*100/s.Total))
}
