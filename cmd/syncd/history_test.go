package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/sync/synctest"
)

// js evaluates expr in the page and returns its value.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until expr is truthy in the page, failing with what
// the page shows of the table otherwise.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		shows, showErr := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('table-items')||document.body).innerText`))
		if showErr != nil {
			shows = "(could not read the page: " + showErr.Error() + ")"
		}
		t.Fatalf("%s: %v; the page shows:\n%s", what, err, shows)
	}
}

// A table's run history in a real browser: every run with its counts,
// a failed one with the target's error, and the chart of the last day
// drawn from syncd_runs: the lag line, a bar per run, the failure marked.
// The status page links to it and shows the chart as a thumbnail.
func TestRunHistoryPageInChromium(t *testing.T) {
	browser := browse(t)
	w := startOps(t, "@daily")
	w.enqueue()
	w.waitForRun(10)
	// The target loses a column: the next run fails writing its page.
	synctest.Exec(t, w.tgt, "ALTER TABLE items DROP COLUMN name")
	w.insert(11, 11)
	w.enqueue()
	var failed int
	synctest.Eventually(t, "a failed run in syncd_runs", func() (bool, string) {
		if err := w.tgt.QueryRow("SELECT COUNT(*) FROM syncd_runs WHERE status = 'failed' AND error LIKE '%name%'").Scan(&failed); err != nil {
			return false, err.Error()
		}
		return failed > 0, w.runLog.String()
	})
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	must(t, chromedp.Do(ctx, chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS("#table-items"))))
	waitJS(t, ctx, "the chart thumbnail loaded", `(() => { const i = document.querySelector('#table-items td.chart img'); return i && i.complete && i.naturalWidth === 300 })()`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#table-items a[href="/tables/items"]`)), chromedp.WaitVisible(chromedp.CSS("#runs"))))

	runs := js[[]map[string]string](t, ctx, `[...document.querySelectorAll('#runs tbody')].map(b => ({
		status: b.querySelector('.status').innerText, read: b.querySelector('.read').innerText,
		error: (b.querySelector('.error')||{innerText: ''}).innerText}))`)
	if len(runs) < 2 || runs[len(runs)-1]["status"] != "ok" || runs[len(runs)-1]["read"] != "10" {
		t.Fatalf("runs listed: %v; want the failed ones, then the first: ok, 10 rows read", runs)
	}
	if runs[0]["status"] != "failed" || !strings.Contains(runs[0]["error"], "name") {
		t.Errorf("newest run listed: %v; want failed, with the target's error naming the column", runs[0])
	}
	chart := js[map[string]any](t, ctx, `(() => { const s = document.querySelector('#chart-section svg.chart'); return {
		texts: [...s.querySelectorAll('text')].map(e => e.textContent),
		lag: s.querySelector('polyline.lag').getAttribute('points').split(' ').length,
		bars: s.querySelectorAll('rect.rows').length, failed: s.querySelectorAll('rect.failed').length,
		width: s.getBoundingClientRect().width}})()`)
	texts := fmt.Sprint(chart["texts"])
	if !strings.Contains(texts, "lag") || !strings.Contains(texts, "rows read per run") || !strings.Contains(texts, "now") ||
		chart["lag"].(float64) < 2 || chart["bars"].(float64) < 2 || chart["failed"].(float64) < 1 || chart["width"].(float64) != 760 {
		t.Errorf("chart: %v; want lag and rows panels labelled, a lag line, a bar per run, the failure marked, 760 px wide", chart)
	}
	screenshot(t, ctx, "table-page.png")
	// Its buttons bring the browser back to it.
	err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#table-items button[name=pause]")), chromedp.WaitVisible(chromedp.CSS("#table-items .state .paused")))
	if loc := js[string](t, ctx, `location.pathname`); err != nil || loc != "/tables/items" || !w.paused() {
		t.Errorf("pause on the run history: %v, now at %s, paused in syncd_state: %v; want paused, still on /tables/items", err, loc, w.paused())
	}
}

// While a run moves, the status page follows it live through the event
// stream, without reloading: rows, rate and estimate as enqueue --wait
// prints them, and the table's row fetched again when the run ends.
func TestStatusPageLiveInChromium(t *testing.T) {
	browser := browse(t)
	w := startOps(t, "@daily")
	w.enqueue()
	w.waitForRun(10)
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	must(t, chromedp.Do(ctx, chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS("#table-items"))))
	js[any](t, ctx, `window.notReloaded = true`)
	// Pages of 3 rows: long enough a run to watch.
	w.insert(11, 30000)
	w.enqueue()
	waitJS(t, ctx, "live progress with rate", `/^running: \d+ rows, \d+ rows\/s/.test(document.querySelector('#table-items .task-text').textContent)`)
	first := js[float64](t, ctx, `+document.getElementById('table-items').dataset.rows`)
	waitJS(t, ctx, "the rows counted rising", fmt.Sprintf(`+document.getElementById('table-items').dataset.rows > %v`, first))
	waitJS(t, ctx, "an estimate", `/% of \d+/.test(document.querySelector('#table-items .task-text').textContent) && document.querySelector('#table-items progress').value > 0`)
	screenshot(t, ctx, "status-page-live.png")
	// Paused, the run stops at its next page: the row changes by itself.
	if code, body := w.call(http.MethodPost, "/api/tables/items/pause", true); code != http.StatusOK {
		t.Fatalf("POST pause: %d %s", code, body)
	}
	waitJS(t, ctx, "the row fetched again once the run stopped", `(() => { const b = document.getElementById('table-items');
		return b.querySelector('.state .paused') && /paused \d+ rows/.test(b.querySelector('.last-run').textContent) && b.querySelector('.task-text').textContent === '-' })()`)
	if !js[bool](t, ctx, `window.notReloaded === true`) {
		t.Error("the page reloaded; want it updated in place")
	}
}

// The pages follow the server's rules: behind basic auth like the rest,
// a 404 for an undeclared table, the event stream a text/event-stream
// that names a running sync.
func TestHistoryPagesAuthAndStream(t *testing.T) {
	w := startOps(t, "@daily")
	// A client that gives up: an open event stream would never end.
	client := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/tables/items", "/tables/items/chart.svg", "/tables/items/row", "/api/events", "/live.js"} {
		resp, err := client.Get(w.base + path)
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %v %v, want 401", path, resp, err)
		}
		if err == nil {
			resp.Body.Close()
		}
	}
	if code, _ := w.call(http.MethodGet, "/tables/nope", true); code != http.StatusNotFound {
		t.Errorf("GET /tables/nope: %d, want 404", code)
	}
	if code, body := w.call(http.MethodGet, "/tables/items/chart.svg", true); code != http.StatusOK || !strings.HasPrefix(body, "<svg") {
		t.Errorf("chart before any run: %d %.200s", code, body)
	}
	w.insert(11, 30000)
	w.enqueue()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+"/api/events?table=items", nil)
	must(t, err)
	req.SetBasicAuth(opsUser, opsPassword)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/api/events: Content-Type %q", ct)
	}
	buf := make([]byte, 64<<10)
	var got strings.Builder
	for !strings.Contains(got.String(), `rows/s`) {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("event stream ended: %v\n%s", err, got.String())
		}
	}
	if !strings.Contains(got.String(), "event: changed\ndata: {\"table\":\"items\"}") {
		t.Errorf("no changed event when the sync started:\n%s", got.String())
	}
}

// enqueue asks for a sync of items through the API.
func (w *opsWorld) enqueue() {
	w.t.Helper()
	if code, body := w.call(http.MethodPost, "/api/tables/items/enqueue", true); code != http.StatusOK {
		w.t.Fatalf("POST enqueue: %d %s", code, body)
	}
}
