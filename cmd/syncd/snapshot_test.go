package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/synctest"
)

// A first load by snapshot through `syncd run`: paused while its parts
// run, syncd status and /api/tables show the parts and how far each got;
// resumed, `syncd enqueue --wait` follows the snapshot to its end; verify
// finds the table equal.
func TestSnapshotStatusAndWait(t *testing.T) {
	redisAddr := synctest.Redis(t)
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`,
		`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, 30000) i`)
	tgt := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	q, listen := synctest.UniqueName("syncd_t_"), freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`connections:
  src: {driver: postgres, dsn: '%s'}
  tgt: {driver: mysql, dsn: '%s'}
target: tgt
defaults: {queue: %s, schedule: "@daily"}
redis: %s
worker: {queues: {%s: 1}, concurrency: 3, shutdown_timeout: 2s}
http: {listen: %s}
`, pgDSN, myDSN, q, synctest.RedisYAML(redisAddr), q, listen), map[string]string{"items.yaml": `source: {connection: src, table: items, key: [id], cursor: updated_at}
target: {table: items}
batch_size: 20
settle: 0s
snapshot: {parts: 3}
`})
	t.Cleanup(func() { synctest.DropQueue(t, redisAddr, q) })
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var runLog bytes.Buffer
	go func() { done <- runCLIContext(ctx, &runLog, "-c", cfg, "run") }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("syncd run: %v", err)
		}
	})
	base := "http://" + listen
	synctest.Eventually(t, "syncd run serving", func() (bool, string) { code, _ := get(t, base+"/healthz"); return code == 200, "" })

	if out, code := runCLI("-c", cfg, "enqueue", "items"); code != 0 {
		t.Fatalf("enqueue: %d %s", code, out)
	}
	synctest.Eventually(t, "parts under way", func() (bool, string) {
		return count(t, tgt, "SELECT COALESCE(SUM(rows_written), 0) FROM syncd_snapshot_parts WHERE table_name = 'items'") > 500, ""
	})
	if out, code := runCLI("-c", cfg, "pause", "items"); code != 0 {
		t.Fatalf("pause: %d %s", code, out)
	}
	// Paused, the parts stop at their next page and the snapshot waits.
	synctest.Eventually(t, "parts stopped", func() (bool, string) {
		a := count(t, tgt, "SELECT SUM(rows_written) FROM syncd_snapshot_parts WHERE table_name = 'items'")
		time.Sleep(500 * time.Millisecond)
		return a == count(t, tgt, "SELECT SUM(rows_written) FROM syncd_snapshot_parts WHERE table_name = 'items'"), ""
	})
	written := count(t, tgt, "SELECT SUM(rows_written) FROM syncd_snapshot_parts WHERE table_name = 'items'")
	out, code := runCLI("-c", cfg, "status")
	want := fmt.Sprintf("snapshot 0/3 parts %d rows", written)
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("syncd status: exit %d; want %q\n%s", code, want, out)
	}
	code, body := get(t, base+"/api/tables/items")
	var st queue.TableStatus
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st.Snapshot == nil ||
		len(st.Snapshot.PartList) != 3 || st.Snapshot.Rows != int64(written) || st.Snapshot.PartList[0].LastKey == "" {
		t.Errorf("/api/tables/items: %d %s; want the snapshot's 3 parts with %d rows and their last keys", code, body, written)
	}
	if code, page := get(t, base+"/"); code != 200 || !strings.Contains(page, want) || !strings.Contains(page, "part 1: ") {
		t.Errorf("status page: %d; want %q and the parts", code, want)
	}

	if out, code := runCLI("-c", cfg, "resume", "items"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	out, code = runCLI("-c", cfg, "enqueue", "items", "--wait")
	if code != 0 || !strings.Contains(out, "snapshot 1 done: 30000 rows in 3 parts, cursor set to the bound") {
		t.Fatalf("enqueue --wait: exit %d\n%s\n%s", code, out, runLog.String())
	}
	out, code = runCLI("-c", cfg, "verify", "items")
	if code != 0 || !strings.Contains(out, "equal") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
}

// count runs a query of one number; 0 while the state tables do not
// exist yet.
func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(q).Scan(&n); err != nil && !strings.Contains(err.Error(), "doesn't exist") {
		t.Fatal(err)
	}
	return int(n.Int64)
}
