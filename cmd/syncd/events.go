package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/tables"
)

// liveInterval is how often the event stream looks at the queue, as
// often as `syncd enqueue --wait` does.
const liveInterval = time.Second

// countAfter is how old a run must be before its rows left are counted
// for the estimate: shorter runs end before anyone reads one.
const countAfter = 2 * time.Second

// progressEvent is a running sync as the event stream reports it: what
// `syncd enqueue --wait` prints, as numbers and as its line.
type progressEvent struct {
	Table   string  `json:"table"`
	RunID   int64   `json:"run_id"`
	Rows    int64   `json:"rows"`
	Rate    float64 `json:"rate"`            // rows per second since the run started
	Total   int64   `json:"total,omitempty"` // rows the run reads in all, once counted
	Percent int     `json:"percent,omitempty"`
	Text    string  `json:"text"`
}

// events streams Server-Sent Events (GET /api/events, ?table=NAME for
// one table): every second a "progress" event for each running sync,
// and a "changed" event naming a table whose sync started or ended, for
// the page to fetch that table's row again. It ends when the client
// goes or the server shuts down.
func (w *web) events(rw http.ResponseWriter, r *http.Request) {
	list := w.cat.Tables
	if name := r.URL.Query().Get("table"); name != "" {
		t, ok := w.cat.Lookup(name)
		if !ok {
			writeError(rw, http.StatusNotFound, "table %q is not declared in %s", name, w.cfg.TablesDir)
			return
		}
		list = func() []tables.Table { return []tables.Table{t} }
	}
	rc := http.NewResponseController(rw)
	rw.Header().Set("Content-Type", "text/event-stream")
	rw.Header().Set("Cache-Control", "no-cache")
	rw.Header().Set("X-Accel-Buffering", "no") // a proxy in front must not hold events back
	rw.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(rw, "retry: 5000\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(liveInterval)
	defer tick.Stop()
	seen := map[string]int64{} // table: run id of the sync running at the last look
	for {
		if err := w.sendLive(rw, list(), seen); err != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-w.done:
			return
		case <-tick.C:
		}
	}
}

// sendLive writes one look at the queue: progress of the running syncs
// and what changed since seen, which it updates.
func (w *web) sendLive(rw http.ResponseWriter, ts []tables.Table, seen map[string]int64) error {
	running, err := w.enq.Running(ts)
	if err != nil {
		// A comment: the page keeps what it shows and the next look retries.
		_, err = fmt.Fprintf(rw, ": %s\n\n", oneLine(err))
		return err
	}
	byName := map[string]tables.Table{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	for name, id := range seen {
		if p, ok := running[name]; !ok || p.RunID != id {
			delete(seen, name)
			if err := sendEvent(rw, "changed", map[string]string{"table": name}); err != nil {
				return err
			}
		}
	}
	for name, p := range running {
		if _, ok := seen[name]; !ok {
			seen[name] = p.RunID
			if err := sendEvent(rw, "changed", map[string]string{"table": name}); err != nil {
				return err
			}
		}
		if err := sendEvent(rw, "progress", w.progressOf(byName[name], p)); err != nil {
			return err
		}
	}
	return nil
}

// progressOf is the progress event of t's running sync.
func (w *web) progressOf(t tables.Table, p queue.Progress) progressEvent {
	ev := progressEvent{Table: t.Name, RunID: p.RunID, Rows: p.Rows, Text: "running: starting"}
	if p.RunID == 0 {
		return ev
	}
	elapsed := time.Since(p.Started)
	ev.Total = w.totals.get(w, t, p, elapsed)
	if s := elapsed.Seconds(); s > 0 {
		ev.Rate = float64(p.Rows) / s
	}
	if ev.Total > 0 {
		ev.Percent = int(min(100, p.Rows*100/ev.Total))
	}
	ev.Text = progressText(&p, ev.Total, elapsed)
	return ev
}

func sendEvent(rw http.ResponseWriter, event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(rw, "event: %s\ndata: %s\n\n", event, b)
	return err
}

// runTotals remembers, per table, how many rows its running sync reads
// in all: counted once per run on the source, as `enqueue --wait` does,
// and shared by every open page.
type runTotals struct {
	mu sync.Mutex
	m  map[string][2]int64 // table: run id, total (-1 while counting or when the count failed)
}

// get returns the total of p's run, 0 while unknown; the first call
// for a run older than countAfter starts the count.
func (c *runTotals) get(w *web, t tables.Table, p queue.Progress, elapsed time.Duration) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[t.Name]; ok && v[0] == p.RunID {
		return max(v[1], 0)
	}
	if elapsed < countAfter {
		return 0
	}
	if c.m == nil {
		c.m = map[string][2]int64{}
	}
	c.m[t.Name] = [2]int64{p.RunID, -1}
	go func() {
		n := countLeft(w.ctx, w.ops, t)
		c.mu.Lock()
		defer c.mu.Unlock()
		if v := c.m[t.Name]; v[0] == p.RunID && n >= 0 {
			c.m[t.Name] = [2]int64{p.RunID, p.Rows + n}
		}
	}()
	return 0
}

// countLeft counts the source rows after t's stored position, -1 when
// they cannot be counted in time.
func countLeft(ctx context.Context, o *ops.Service, t tables.Table) int64 {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := o.CountLeft(ctx, t)
	if err != nil {
		return -1
	}
	return n
}
