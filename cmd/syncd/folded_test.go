package main

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// TestRunsAfterFolding: syncd runs NAME lists the runs that read rows or
// failed, and says how many quiet scheduled runs were folded and when
// the newest ended.
func TestRunsAfterFolding(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	tgt := synctest.Open(t, "mysql", myDSN)
	must(t, state.New(tgt).Ensure(context.Background()))
	synctest.Exec(t, tgt,
		"INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at, rows_read) VALUES "+
			"('items', 'schedule', 'ok', 1, '2026-03-01 10:00:00', '2026-03-01 10:00:01', 7), "+
			"('items', 'schedule', 'failed', 2, '2026-03-01 10:00:10', '2026-03-01 10:00:11', 0)",
		"UPDATE syncd_runs SET error = 'source down' WHERE status = 'failed'",
		"INSERT INTO syncd_state (table_name, version, empty_runs, last_empty_started, last_empty_ended) "+
			"VALUES ('items', 9, 6, '2026-03-01 11:00:00', '2026-03-01 11:00:00.5')")
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": itemsTable})
	out, code := runCLI("-c", cfg, "runs", "items")
	if code != 0 {
		t.Fatalf("runs: exit %d\n%s", code, out)
	}
	for _, want := range []string{"source down", "\n1  ", "6 scheduled runs found nothing to read and are not listed; the newest ended 2026-03-01 11:00:00"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs items: %q missing\n%s", want, out)
		}
	}
	if out, _ := runCLI("-c", cfg, "runs", "items", "--failed"); strings.Contains(out, "found nothing") || strings.Contains(out, "\n1  ") {
		t.Errorf("runs items --failed lists more than the failed run:\n%s", out)
	}
}
