package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/state"
)

// chromiumInstall is how Debian gets the browser the page test drives.
const chromiumInstall = "apt-get update && apt-get install -y chromium"

// chromium returns the path of a Chromium to drive. Missing, it fails
// the test where a browser is required (browserRequired) and skips it
// elsewhere, with the command that installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not installed, so the status page is not checked in a browser; install it with: " + chromiumInstall
	if browserRequired() {
		t.Fatal(msg + " (CI installs it with .ci/browser)")
	}
	t.Skip(msg)
	return ""
}

// browserRequired says whether a missing Chromium fails the browser
// tests: under CI (CI set, .ci/run installs it) or when
// SYNCD_TEST_REQUIRE_BROWSER is set. SYNCD_TEST_REQUIRE_SERVERS, which
// make test always sets, does not: a developer without a browser still
// runs make test through.
func browserRequired() bool {
	return os.Getenv("CI") != "" || os.Getenv("SYNCD_TEST_REQUIRE_BROWSER") != ""
}

// browse starts a headless Chromium that sends the worker's credentials
// with every request, and returns its context. chromedp drives the
// system's Chromium over the DevTools protocol from Go: the test clicks
// and waits for the page to change, no sleeps, no browser download.
func browse(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // tests run as root in CI, where Chromium's sandbox refuses to start
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(opsUser+":"+opsPassword))
	// The first action starts the browser, which lives as long as its
	// context: no timeout on this one.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
		return err
	}))
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// The status page in a real browser: it lists the table with its lag
// and last run, links to /monitor, and its pause and resume buttons
// change syncd_state.
func TestStatusPageInChromium(t *testing.T) {
	browser := browse(t)
	w := startOps(t, "@daily")
	if code, body := w.call(http.MethodPost, "/api/tables/items/enqueue", true); code != http.StatusOK {
		t.Fatalf("POST enqueue: %d %s", code, body)
	}
	w.waitForRun(10)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS("#table-items"))); err != nil {
		t.Fatalf("load the status page: %v", err)
	}
	lag, state, lastRun := text("#table-items .lag"), text("#table-items .state"), text("#table-items .last-run")
	monitor, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`nav a[href^="/monitor"]`), "href"))
	// The rows are an hour old, but the table was synced seconds ago: the
	// lag is seconds, not the rows' age.
	if err != nil || strings.Contains(lag, "h") || !strings.HasSuffix(lag, "s") || state != "active" || !strings.Contains(lastRun, "ok 10 rows") || monitor.Value != "/monitor/" {
		t.Fatalf("page shows lag %q, state %q, last run %q, monitor link %q (%v); want seconds, active, ok 10 rows, /monitor/",
			lag, state, lastRun, monitor.Value, err)
	}
	screenshot(t, ctx, "status-page.png")

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#table-items button[name=pause]")),
		chromedp.WaitVisible(chromedp.CSS("#table-items .state .paused")),
	)
	if err != nil || !w.paused() {
		t.Fatalf("pause button: %v; paused in syncd_state: %v", err, w.paused())
	}
	screenshot(t, ctx, "status-page-paused.png")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#table-items button[name=resume]")),
		chromedp.WaitVisible(chromedp.CSS("#table-items button[name=pause]")),
	)
	if err != nil || w.paused() {
		t.Fatalf("resume button: %v; paused in syncd_state: %v", err, w.paused())
	}
}

// screenshot saves the page as PNG (quality 100) under $SYNCD_TEST_SCREENSHOTS when set, for a
// person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("SYNCD_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	must(t, os.WriteFile(dir+"/"+name, png, 0o644))
}

// A running initial load shows a progress bar at its share of the rows
// counted; an unknown total shows a bar without a value.
func TestPageProgressBar(t *testing.T) {
	render := func(st queue.TableStatus) string {
		var b bytes.Buffer
		must(t, pageTemplate.Execute(&b, pageData{Tables: []queue.TableStatus{st}, Monitor: "/monitor/"}))
		return b.String()
	}
	st := queue.TableStatus{Name: "big", Task: "active", Progress: &queue.Progress{Rows: 250}, Total: 1000}
	if page := render(st); !strings.Contains(page, `<progress max="100" value="25"`) || !strings.Contains(page, "active 250/1000 rows") {
		t.Fatalf("a quarter done:\n%s", page)
	}
	st.Total = 0
	if page := render(st); !strings.Contains(page, `<progress title="250 rows">`) {
		t.Fatalf("unknown total:\n%s", page)
	}
	if page := render(queue.TableStatus{Name: "idle"}); strings.Contains(page, "<progress") {
		t.Fatalf("no task, yet a progress bar:\n%s", page)
	}
}

// make test skips the browser tests on a machine without Chromium:
// SYNCD_TEST_REQUIRE_SERVERS, which it always sets, does not require a
// browser; CI does.
func TestBrowserRequiredOnlyUnderCI(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("SYNCD_TEST_REQUIRE_BROWSER", "")
	t.Setenv("SYNCD_TEST_REQUIRE_SERVERS", "1")
	if browserRequired() {
		t.Error("make test on a developer's machine: a missing chromium fails the tests; want a skip")
	}
	t.Setenv("CI", "true")
	if !browserRequired() {
		t.Error("under CI a missing chromium skips the tests; want a failure")
	}
}

// Neither make run nor make test installs a browser: not in their
// recipes, not in the .ci scripts they call. CI installs it (.ci/browser,
// from .ci/run, before make test).
func TestMakeInstallsNoBrowser(t *testing.T) {
	out, err := exec.Command("make", "-n", "-C", repoRoot, "run", "test").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n run test: %v\n%s", err, out)
	}
	quoted := regexp.MustCompile(`"[^"]*"|'[^']*'`)
	for _, line := range strings.Split(string(out), "\n") {
		if l := quoted.ReplaceAllString(line, ""); strings.Contains(l, "chromium") && strings.Contains(l, "apt") {
			t.Errorf("make run or make test installs chromium: %s", line)
		}
	}
	for _, script := range regexp.MustCompile(`\.ci/[\w-]+`).FindAllString(string(out), -1) {
		b, err := os.ReadFile(filepath.Join(repoRoot, script))
		must(t, err)
		for _, line := range strings.Split(string(b), "\n") {
			if l := strings.TrimSpace(quoted.ReplaceAllString(line, "")); !strings.HasPrefix(l, "#") && strings.Contains(l, "chromium") {
				t.Errorf("%s, called by make run or make test, handles chromium: %s", script, line)
			}
		}
	}
	ci, err := os.ReadFile(filepath.Join(repoRoot, ".ci/run"))
	must(t, err)
	if i, j := strings.Index(string(ci), "\n.ci/browser"), strings.Index(string(ci), "\nmake test"); i < 0 || j < i {
		t.Errorf(".ci/run does not install the browser (.ci/browser) before make test:\n%s", ci)
	}
}

// A table's last error shows under its name with when it happened, once:
// not again when the last run's error says it already. A broken
// declaration file shows its file instead of a schedule.
func TestPageLastError(t *testing.T) {
	render := func(st queue.TableStatus) string {
		var b bytes.Buffer
		must(t, pageTemplate.Execute(&b, pageData{Tables: []queue.TableStatus{st}, Monitor: "/monitor/"}))
		return b.String()
	}
	at := time.Now().Add(-90 * time.Second)
	broken := queue.TableStatus{Name: "orders", Broken: true, File: "tables/orders.yaml", LastError: "tables/orders.yaml: schedule: invalid value", LastErrorAt: &at}
	if page := render(broken); !strings.Contains(page, "<small>tables/orders.yaml</small>") || !strings.Contains(page, `<span class="failed">broken</span>`) ||
		!strings.Contains(page, `<div class="error last-error">1m30s ago: tables/orders.yaml: schedule: invalid value</div>`) {
		t.Fatalf("a broken declaration:\n%s", page)
	}
	failed := queue.TableStatus{Name: "items", Schedule: "@daily", LastError: "login failed", LastErrorAt: &at,
		LastRun: &state.RunRow{Status: "failed", Error: "login failed", Ended: &at}}
	if page := render(failed); strings.Count(page, "login failed") != 1 {
		t.Fatalf("the last run's error shown twice:\n%s", page)
	}
}

// The page shows the late rows the lookback repaired (state.Late), and
// nothing for a table that has had none.
func TestPageLateRows(t *testing.T) {
	render := func(st queue.TableStatus) string {
		var b bytes.Buffer
		must(t, pageTemplate.Execute(&b, pageData{Tables: []queue.TableStatus{st}, Monitor: "/monitor/"}))
		return b.String()
	}
	at := time.Now().Add(-5 * time.Minute)
	late := queue.TableStatus{Name: "items", Schedule: "@every 30s", Late: state.Late{Rows: 3, Last: &at}}
	if page := render(late); !strings.Contains(page, `<small class="late"`) || !strings.Contains(page, ">3 late · 5m0s ago</small>") {
		t.Fatalf("3 late rows 5 minutes ago:\n%s", page)
	}
	if page := render(queue.TableStatus{Name: "quiet", Schedule: "@every 30s"}); strings.Contains(page, `class="late"`) {
		t.Fatalf("late rows shown for a table with none:\n%s", page)
	}
}
