package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// resumeWorld is a table declared over MariaDB with Redis at an address
// where nothing listens, and the same configuration served over HTTP.
type resumeWorld struct {
	t     *testing.T
	cfg   string
	store *state.Store
	api   string
}

func startResume(t *testing.T, targetDSN string) *resumeWorld {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, db, "CREATE TABLE items (id BIGINT PRIMARY KEY, updated_at DATETIME(6) NOT NULL)")
	if targetDSN == "" {
		targetDSN = myDSN
	}
	path := writeConfig(t, "connections:\n  src: {driver: mysql, dsn: '"+myDSN+"'}\n  tgt: {driver: mysql, dsn: '"+targetDSN+"'}\n"+
		"target: tgt\nredis: {addr: '"+freeAddr(t)+"'}\n", map[string]string{"items.yaml": itemsTable})
	cfg, err := tables.LoadConfig(path)
	must(t, err)
	return &resumeWorld{t: t, cfg: path, store: state.New(db), api: testWeb(t, cfg).URL}
}

// resumeAPI posts a resume and returns the answer's code and body.
func (w *resumeWorld) resumeAPI() (int, map[string]any) {
	w.t.Helper()
	resp, err := http.Post(w.api+"/api/tables/items/resume", "application/json", nil)
	must(w.t, err)
	defer resp.Body.Close()
	var body map[string]any
	must(w.t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func (w *resumeWorld) paused() bool {
	w.t.Helper()
	p, err := w.store.IsPaused(context.Background(), "items")
	must(w.t, err)
	return p
}

// With Redis down, resume lifts the pause and says that no sync was
// queued, through the CLI and through the API alike: one operation
// (ops.Resume), one outcome. Before, the CLI succeeded and the API
// answered 503 for the same resume.
func TestResumeWithRedisDownIsTheSameInCLIAndAPI(t *testing.T) {
	w := startResume(t, "")
	if out, code := runCLI("-c", w.cfg, "pause", "items"); code != 0 || !w.paused() {
		t.Fatalf("pause with Redis down: exit %d\n%s", code, out)
	}
	out, code := runCLI("-c", w.cfg, "resume", "items")
	if code != 0 || !strings.Contains(out, "items: resumed; no sync queued now (enqueue sync:items: redis at ") || w.paused() {
		t.Fatalf("CLI resume with Redis down: exit %d, paused %v\n%s", code, w.paused(), out)
	}
	if _, code := runCLI("-c", w.cfg, "pause", "items"); code != 0 {
		t.Fatal("pause again")
	}
	code, body := w.resumeAPI()
	enq, _ := body["enqueue"].(string)
	if code != http.StatusOK || body["paused"] != false || !strings.HasPrefix(enq, "no sync queued now (enqueue sync:items: redis at ") || w.paused() {
		t.Fatalf("API resume with Redis down: %d %v, paused %v; want 200, the pause lifted, no sync queued", code, body, w.paused())
	}
}

// With the target down, the pause cannot be lifted: the CLI exits
// non-zero and the API answers 503, both naming the target.
func TestResumeWithTargetDownFailsInCLIAndAPI(t *testing.T) {
	w := startResume(t, "root@tcp("+freeAddr(t)+")/x")
	out, code := runCLI("-c", w.cfg, "resume", "items")
	if code == 0 || !strings.Contains(out, "resume items: connect to tgt") {
		t.Fatalf("CLI resume with the target down: exit %d\n%s", code, out)
	}
	code, body := w.resumeAPI()
	if msg, _ := body["error"].(string); code != http.StatusServiceUnavailable || !strings.Contains(msg, "connect to tgt") {
		t.Fatalf("API resume with the target down: %d %v; want 503 naming the target", code, body)
	}
}
