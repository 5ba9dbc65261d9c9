package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// apiTimeout bounds one API request that reads the databases.
const apiTimeout = 15 * time.Second

// api routes /api/tables and its actions onto mux.
func (w *web) api(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/tables", w.listTables)
	mux.HandleFunc("GET /api/tables/{name}", w.withTable(w.getTable))
	mux.HandleFunc("GET /api/tables/{name}/runs", w.withTable(w.listRuns))
	mux.HandleFunc("POST /api/tables/{name}/enqueue", w.action(w.enqueueTable))
	mux.HandleFunc("POST /api/tables/{name}/pause", w.action(w.pauseTable))
	mux.HandleFunc("POST /api/tables/{name}/resume", w.action(w.resumeTable))
}

// apiError is the body of every error answer of the API.
type apiError struct {
	Error string `json:"error"`
}

func writeError(rw http.ResponseWriter, code int, format string, a ...any) {
	writeJSON(rw, code, apiError{Error: fmt.Sprintf(format, a...)})
}

func (w *web) listTables(rw http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	writeJSON(rw, http.StatusOK, orEmpty(w.statuses(ctx)))
}

// statuses reads the status of every declared table, broken declaration
// files included.
func (w *web) statuses(ctx context.Context) []queue.TableStatus {
	return queue.WithBroken(w.ops.Status(ctx, w.cat.Tables()), w.cat.Broken())
}

type tableHandler func(rw http.ResponseWriter, r *http.Request, t tables.Table)

// withTable looks up the table of the path, answering 404 for one that
// is not declared.
func (w *web) withTable(h tableHandler) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		t, ok := w.cat.Lookup(name)
		if !ok {
			w.notDeclared(rw, name)
			return
		}
		h(rw, r, t)
	}
}

// notDeclared answers 404 for a table without a declaration that loads,
// naming the problem of its file when it has one.
func (w *web) notDeclared(rw http.ResponseWriter, name string) {
	for _, b := range w.cat.Broken() {
		if b.Name == name {
			writeError(rw, http.StatusNotFound, "table %q: its declaration does not load: %s", name, b.Problem)
			return
		}
	}
	writeError(rw, http.StatusNotFound, "table %q is not declared in %s", name, w.cfg.TablesDir)
}

func (w *web) getTable(rw http.ResponseWriter, r *http.Request, t tables.Table) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	writeJSON(rw, http.StatusOK, w.ops.Status(ctx, []tables.Table{t})[0])
}

// listRuns answers the run log, newest first: ?limit=N (default 20) and
// ?failed=true select.
func (w *web) listRuns(rw http.ResponseWriter, r *http.Request, t tables.Table) {
	f := state.RunFilter{Table: t.Name, Limit: 20}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(rw, http.StatusBadRequest, "query parameter limit: %q (allowed: 1 to 10000)", v)
			return
		}
		f.Limit = n
	}
	if v := r.URL.Query().Get("failed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(rw, http.StatusBadRequest, "query parameter failed: %q (allowed: true or false)", v)
			return
		}
		f.Failed = b
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	runs, err := w.ops.Runs(ctx, t, f)
	if err != nil {
		writeError(rw, http.StatusServiceUnavailable, "%v", err)
		return
	}
	writeJSON(rw, http.StatusOK, orEmpty(runs))
}

// actionResult is the answer of a POST on a table.
type actionResult struct {
	Table   string `json:"table"`
	Paused  *bool  `json:"paused,omitempty"`
	Enqueue string `json:"enqueue,omitempty"`
}

type tableAction func(ctx context.Context, t tables.Table) (actionResult, error)

// action wraps a POST on a table: refused with http.read_only, 404 for
// an undeclared table, 503 when a database or Redis fails. A form of the
// status page is sent back to the page; other clients get JSON.
func (w *web) action(do tableAction) http.HandlerFunc {
	return w.withTable(func(rw http.ResponseWriter, r *http.Request, t tables.Table) {
		if w.cfg.HTTP.ReadOnly {
			writeError(rw, http.StatusForbidden, "http.read_only is set in %s: no changes through HTTP", w.cfg.File)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
		defer cancel()
		res, err := do(ctx, t)
		if err != nil {
			writeError(rw, http.StatusServiceUnavailable, "%v", err)
			return
		}
		if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
			http.Redirect(rw, r, backTo(r), http.StatusSeeOther)
			return
		}
		writeJSON(rw, http.StatusOK, res)
	})
}

func (w *web) enqueueTable(ctx context.Context, t tables.Table) (actionResult, error) {
	res, err := w.ops.Enqueue(ctx, t, ops.EnqueueOptions{})
	return actionResult{Table: t.Name, Enqueue: res.Outcome.String()}, err
}

func (w *web) pauseTable(ctx context.Context, t tables.Table) (actionResult, error) {
	paused := true
	return actionResult{Table: t.Name, Paused: &paused}, w.ops.Pause(ctx, t)
}

// resumeTable lifts the pause and queues a sync now, as syncd resume does:
// a sync that cannot be queued is said in enqueue, not answered as a
// failure, since the pause is lifted.
func (w *web) resumeTable(ctx context.Context, t tables.Table) (actionResult, error) {
	res, err := w.ops.Resume(ctx, t)
	if err != nil {
		return actionResult{}, err
	}
	paused := false
	return actionResult{Table: t.Name, Paused: &paused, Enqueue: queuedText(res)}, nil
}

// serveMetrics serves /metrics, with a sample for every table declared
// now (a file added since the last scrape included).
func (w *web) serveMetrics(rw http.ResponseWriter, r *http.Request) {
	w.metrics.declare(w.cat.Tables())
	w.metrics.handler.ServeHTTP(rw, r)
}
