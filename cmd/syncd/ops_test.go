package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// opsWorld is a running `syncd run` over one PostgreSQL table "items"
// synced into MariaDB, with basic auth on its HTTP server.
type opsWorld struct {
	t      *testing.T
	cfg    string // path of syncd.yaml
	base   string // http://host:port
	src    *sql.DB
	tgt    *sql.DB
	runLog *bytes.Buffer
}

const opsUser, opsPassword = "ops", "s3cret"

func startOps(t *testing.T, schedule string) *opsWorld {
	t.Helper()
	redisAddr := synctest.Redis(t)
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	w := &opsWorld{t: t, src: synctest.Open(t, "pgx", pgDSN), runLog: &bytes.Buffer{}}
	synctest.Exec(t, w.src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`)
	w.insert(1, 10)
	w.tgt = synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, w.tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	q, listen := synctest.UniqueName("syncd_t_"), freeAddr(t)
	w.cfg = writeConfig(t, fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {queue: %s, schedule: %q}
redis: %s
worker: {queues: {%s: 1}, shutdown_timeout: 2s}
http: {listen: %s, username: %s, password: %s}
`, pgDSN, myDSN, q, schedule, synctest.RedisYAML(redisAddr), q, listen, opsUser, opsPassword), map[string]string{"items.yaml": itemsTable})
	w.base = "http://" + listen
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runCLIContext(ctx, w.runLog, "-c", w.cfg, "run") }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("syncd run ended with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("syncd run did not stop within 30s")
		}
		synctest.DropQueue(t, redisAddr, q)
		synctest.DropOrphanSchedulerHistory(t, redisAddr)
	})
	synctest.Eventually(t, "syncd run serving /healthz", func() (bool, string) {
		code, body := get(t, w.base+"/healthz")
		return code == http.StatusOK, body + w.runLog.String()
	})
	return w
}

// insert adds source rows from..to, an hour old.
func (w *opsWorld) insert(from, to int) {
	w.t.Helper()
	synctest.Exec(w.t, w.src, fmt.Sprintf(`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(%d, %d) i`, from, to))
}

// call makes a request with the worker's credentials (none when auth is
// false) and returns the status code and body.
func (w *opsWorld) call(method, path string, auth bool) (int, string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.base+path, nil)
	must(w.t, err)
	if auth {
		req.SetBasicAuth(opsUser, opsPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	must(w.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(w.t, err)
	return resp.StatusCode, string(b)
}

// table returns /api/tables/NAME.
func (w *opsWorld) table(name string) queue.TableStatus {
	w.t.Helper()
	code, body := w.call(http.MethodGet, "/api/tables/"+name, true)
	var st queue.TableStatus
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		w.t.Fatalf("GET /api/tables/%s: %d %s", name, code, body)
	}
	return st
}

// waitForRun waits until the table's last run is ok with read rows.
func (w *opsWorld) waitForRun(read int64) {
	w.t.Helper()
	synctest.Eventually(w.t, fmt.Sprintf("a run of %d rows", read), func() (bool, string) {
		st := w.table("items")
		return st.LastRun != nil && st.LastRun.Status == "ok" && st.LastRun.Read == read && st.Task == "", fmt.Sprintf("%+v", st)
	})
}

// scrape returns the value of each sample of /metrics, keyed by
// name{label="value",...} with labels sorted.
func (w *opsWorld) scrape() map[string]float64 {
	w.t.Helper()
	code, body := w.call(http.MethodGet, "/metrics", true)
	if code != http.StatusOK {
		w.t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	must(w.t, err)
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := name + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			key += "}"
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// The API, the metrics and the CLI of a running worker: status codes and
// JSON, basic auth, pause and resume persisted in syncd_state, counters
// that move by the rows synced.
func TestAPIMetricsAndCLI(t *testing.T) {
	w := startOps(t, "@daily")
	if code, _ := w.call(http.MethodGet, "/api/tables", false); code != http.StatusUnauthorized {
		t.Fatalf("/api/tables without credentials: %d, want 401", code)
	}
	if code, _ := w.call(http.MethodGet, "/metrics", false); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without credentials: %d, want 401", code)
	}
	code, body := w.call(http.MethodGet, "/api/tables", true)
	var list []queue.TableStatus
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 || list[0].Name != "items" || list[0].Paused {
		t.Fatalf("/api/tables: %d %s; want the one table, not paused", code, body)
	}
	before := w.scrape()
	if v, ok := before[`syncd_rows_read_total{table=items}`]; !ok || v != 0 {
		t.Fatalf("rows read before any run: %v %v; want a 0 sample for the declared table", v, ok)
	}

	code, body = w.call(http.MethodPost, "/api/tables/items/enqueue", true)
	if code != http.StatusOK || !strings.Contains(body, `"enqueue":"queued"`) {
		t.Fatalf("POST enqueue: %d %s", code, body)
	}
	w.waitForRun(10)
	after := w.scrape()
	for key, want := range map[string]float64{
		`syncd_rows_read_total{table=items}`:               10,
		`syncd_rows_written_total{table=items}`:            10,
		`syncd_tasks_total{result=ok,table=items}`:         1,
		`syncd_run_duration_seconds{table=items}`:          1,
		`syncd_paused{table=items}`:                        0,
		`syncd_rows_rejected_total{table=items}`:           0,
		`syncd_late_rows_total{table=items}`:               0,
		`syncd_behind_rows_total{reason=lost,table=items}`: 0,
	} {
		if got := after[key] - before[key]; got != want {
			t.Errorf("%s moved by %v, want %v", key, got, want)
		}
	}
	// The rows are an hour old, but the table was synced a moment ago:
	// it is seconds behind its source, however old its newest row.
	if lag, ok := after[`syncd_lag_seconds{table=items}`]; !ok || lag > 120 {
		t.Errorf("lag %v (present %v); want the seconds since the run's upper bound", lag, ok)
	}
	if age, ok := after[`syncd_row_age_seconds{table=items}`]; !ok || age < 3500 {
		t.Errorf("row age %v (present %v); want about an hour: the rows are an hour old", age, ok)
	}
	if before[`syncd_never_synced{table=items}`] != 1 || after[`syncd_never_synced{table=items}`] != 0 {
		t.Errorf("never synced %v before the run, %v after; want 1, then 0", before[`syncd_never_synced{table=items}`], after[`syncd_never_synced{table=items}`])
	}
	if ts := after[`syncd_last_success_timestamp_seconds{table=items}`]; ts < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last success timestamp %v, want within the last hour", ts)
	}
	if !hasPrefix(after, "asynq_") {
		t.Error("no asynq_ queue metrics in /metrics")
	}
	checkShippedMetricNames(t, after)

	code, body = w.call(http.MethodGet, "/api/tables/items/runs", true)
	if code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) || !strings.Contains(body, `"rows_read":10`) {
		t.Fatalf("GET runs: %d %s", code, body)
	}
	for path, want := range map[string]int{
		"/api/tables/ghost":               http.StatusNotFound,
		"/api/tables/ghost/runs":          http.StatusNotFound,
		"/api/tables/items/runs?limit=0":  http.StatusBadRequest,
		"/api/tables/items/runs?failed=x": http.StatusBadRequest,
		"/api/tables/items/runs?failed=1": http.StatusOK,
	} {
		if code, body := w.call(http.MethodGet, path, true); code != want || !json.Valid([]byte(body)) {
			t.Errorf("GET %s: %d %s, want %d and JSON", path, code, body, want)
		}
	}
	if code, _ := w.call(http.MethodGet, "/api/tables/items/pause", true); code != http.StatusMethodNotAllowed {
		t.Errorf("GET of pause: %d, want 405", code)
	}

	code, body = w.call(http.MethodPost, "/api/tables/items/pause", true)
	if code != http.StatusOK || !strings.Contains(body, `"paused":true`) || !w.paused() {
		t.Fatalf("POST pause: %d %s; paused in syncd_state: %v", code, body, w.paused())
	}
	if v := w.scrape()[`syncd_paused{table=items}`]; v != 1 {
		t.Errorf("syncd_paused after pause: %v, want 1", v)
	}
	out, code2 := runCLI("-c", w.cfg, "status", "--json")
	var sts []queue.TableStatus
	if code2 != 0 || json.Unmarshal([]byte(out), &sts) != nil || len(sts) != 1 || !sts[0].Paused || sts[0].LastRun == nil {
		t.Fatalf("status --json: exit %d\n%s", code2, out)
	}
	if out, code := runCLI("-c", w.cfg, "status"); code != 0 || !strings.Contains(out, "items") || !strings.Contains(out, "paused") || !strings.Contains(out, "ok 10 rows") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", w.cfg, "runs", "items"); code != 0 || !strings.Contains(out, "manual") || !strings.Contains(out, " ok ") {
		t.Fatalf("runs items: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", w.cfg, "runs", "items", "--failed"); code != 0 || !strings.Contains(out, "(no runs)") {
		t.Fatalf("runs items --failed: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", w.cfg, "runs", "items", "--limit", "0"); code != exitBadConfig || !strings.Contains(out, "--limit") {
		t.Fatalf("runs --limit 0: exit %d, want %d naming --limit\n%s", code, exitBadConfig, out)
	}
	if out, code := runCLI("-c", w.cfg, "cancel", "items"); code != 0 || !strings.Contains(out, "items: no sync running") {
		t.Fatalf("cancel with nothing running: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", w.cfg, "pause", "ghost"); code != exitBadConfig || !strings.Contains(out, `"ghost" is not declared`) {
		t.Fatalf("pause ghost: exit %d, want %d\n%s", code, exitBadConfig, out)
	}

	// Rows written while paused arrive with the resume's sync.
	w.insert(11, 15)
	if out, code := runCLI("-c", w.cfg, "resume", "items"); code != 0 || !strings.Contains(out, "items: resumed; sync queued") {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	w.waitForRun(5)
	if w.paused() {
		t.Fatal("still paused in syncd_state after resume")
	}
	if got := w.scrape()[`syncd_rows_read_total{table=items}`] - before[`syncd_rows_read_total{table=items}`]; got != 15 {
		t.Errorf("rows read moved by %v over both runs, want 15", got)
	}
	if out, code := runCLI("-c", w.cfg, "pause", "items"); code != 0 || !strings.Contains(out, "items: paused") || !w.paused() {
		t.Fatalf("pause: exit %d\n%s", code, out)
	}
	code, body = w.call(http.MethodPost, "/api/tables/items/resume", true)
	if code != http.StatusOK || !strings.Contains(body, `"paused":false`) || w.paused() {
		t.Fatalf("POST resume: %d %s", code, body)
	}
}

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// paused reads the paused flag of items from syncd_state.
func (w *opsWorld) paused() bool {
	w.t.Helper()
	var p bool
	if err := w.tgt.QueryRow("SELECT paused FROM syncd_state WHERE table_name = 'items'").Scan(&p); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// With http.read_only the API's POSTs are refused and change nothing;
// a cross-site POST is refused whatever the mode.
func TestAPIReadOnlyAndCrossSite(t *testing.T) {
	_, myDSN := synctest.MariaDB(t)
	tgt := synctest.Open(t, "mysql", myDSN)
	path := writeConfig(t, fmt.Sprintf("connections:\n  tgt: {driver: mysql, dsn: '%s'}\n  src: {driver: mysql, dsn: '%s'}\ntarget: tgt\nredis: {addr: %s}\nhttp: {read_only: true}\n",
		myDSN, myDSN, synctest.Redis(t)), map[string]string{"items.yaml": itemsTable})
	cfg, err := tables.LoadConfig(path)
	must(t, err)
	srv := testWeb(t, cfg)
	for _, action := range []string{"pause", "resume", "enqueue"} {
		resp, err := http.Post(srv.URL+"/api/tables/items/"+action, "application/json", nil)
		must(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		must(t, err)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "read_only") {
			t.Errorf("POST %s with read_only: %d %s, want 403 naming read_only", action, resp.StatusCode, b)
		}
	}
	if code, body := get(t, srv.URL+"/"); code != http.StatusOK || !strings.Contains(body, `id="table-items"`) || strings.Contains(body, "<button") {
		t.Errorf("status page with read_only: %d; want 200, the table, no buttons\n%s", code, body)
	}
	for _, path := range []string{"/tables/items", "/tables/items/row"} {
		if code, body := get(t, srv.URL+path); code != http.StatusOK || !strings.Contains(body, `id="table-items"`) || strings.Contains(body, "<button") {
			t.Errorf("%s with read_only: %d; want 200, the table, no buttons\n%s", path, code, body)
		}
	}
	var n int
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'syncd_state' AND TABLE_SCHEMA = DATABASE()").Scan(&n))
	if n != 0 {
		t.Error("a refused POST created syncd_state")
	}
	cfg.HTTP.ReadOnly = false
	srv = testWeb(t, cfg)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/tables/items/pause", nil)
	must(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST pause: %d, want 403", resp.StatusCode)
	}
}

// Times never read negative: a tick that is due, or a time from a clock
// ahead of this one.
func TestNextAndAgoAreNeverNegative(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	for _, c := range []struct{ got, want string }{
		{nextText(at(-5*time.Second), now), "due now"},
		{nextText(at(-400*time.Millisecond), now), "due now"},
		{nextText(at(300*time.Millisecond), now), "due now"},
		{nextText(at(5*time.Second), now), "in 5s"},
		{agoText(at(3*time.Second), now), "0s ago"},
		{agoText(at(-90*time.Second), now), "1m30s ago"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// checkShippedMetricNames fails for each syncd_ metric that the shipped
// alerts, dashboard or operations guide name and /metrics does not
// export: a renamed metric would leave them silent.
func checkShippedMetricNames(t *testing.T, scraped map[string]float64) {
	t.Helper()
	exported := map[string]bool{}
	for key := range scraped {
		name, _, _ := strings.Cut(key, "{")
		exported[name] = true
	}
	re := regexp.MustCompile(`syncd_[a-z_]+`)
	for _, file := range []string{"../../docs/prometheus-alerts.yaml", "../../docs/grafana-dashboard.json", "../../docs/operations.md"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range re.FindAllString(string(b), -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !exported[base] && !strings.HasSuffix(name, "_") && !notAMetric[name] {
				t.Errorf("%s names %s, which /metrics does not export", file, name)
			}
		}
	}
}

// notAMetric are syncd_ names in the docs that are tables, not metrics.
var notAMetric = map[string]bool{"syncd_state": true, "syncd_runs": true, "syncd_rejects": true, "syncd_snapshots": true, "syncd_snapshot_parts": true}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                              "0s",
		1400 * time.Millisecond:        "1s",
		45 * time.Second:               "45s",
		5*time.Minute + 10*time.Second: "5m10s",
		time.Hour:                      "1h0m",
		2*time.Hour + 5*time.Minute:    "2h5m",
		76 * time.Hour:                 "3d4h",
		-(90 * time.Second):            "-1m30s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// syncd runs shows the rejected rows, and a long error under a run
// neither widens a column nor breaks the alignment of the runs.
func TestRunsStayAligned(t *testing.T) {
	ended := time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC)
	runs := []state.RunRow{
		{ID: 12, Started: ended.Add(-time.Second), Ended: &ended, Trigger: "schedule", Status: "ok", Read: 120, Inserted: 4, Updated: 110, Unchanged: 3, Rejected: 3, CursorAfter: "t:2026-03-01T08:00:00Z [\"i:1\"]"},
		{ID: 11, Started: ended.Add(-time.Minute), Ended: &ended, Trigger: "schedule", Status: "failed",
			Error: strings.Repeat("a very long error that goes on ", 8)},
		{ID: 10, Started: ended.Add(-2 * time.Minute), Ended: &ended, Trigger: "manual", Status: "ok", Read: 5},
	}
	var b bytes.Buffer
	if err := printRuns(&b, runs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	header := lines[0]
	col := strings.Index(header, "REJECTED")
	if col < 0 {
		t.Fatalf("no REJECTED column:\n%s", b.String())
	}
	for _, i := range []int{1, 2, 4} {
		if lines[i][col:col+1] == " " || len(lines[i]) > len(header)+40 {
			t.Errorf("line %d is not aligned under the header:\n%s", i, b.String())
		}
	}
	if !strings.HasPrefix(lines[3], "    error: a very long error") || !strings.Contains(lines[1][col:], "3") {
		t.Errorf("want the error under its run, and 3 rejected:\n%s", b.String())
	}
}

// Durations in the logs carry their unit.
func TestLogDurationsCarryUnits(t *testing.T) {
	var b bytes.Buffer
	log, err := newLogger(&b, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Dur("duration", 1503*time.Millisecond).Msg("run finished")
	if !strings.Contains(b.String(), `"duration":"1.503s"`) {
		t.Fatalf("log line %s; want the duration as 1.503s", b.String())
	}
}
