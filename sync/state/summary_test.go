package state_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// Summaries answers for every table what the per-table reads answer: the
// newest run, the newest successful one, the rejects and the folded runs.
func TestSummaries(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	ctx := context.Background()
	if m, err := state.New(db).Summaries(ctx); err != nil || len(m) != 0 {
		t.Fatalf("before the state tables: %v, %v; want none", m, err)
	}
	if err := state.New(db).Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	synctest.Exec(t, db,
		"INSERT INTO syncd_state (table_name, cursor_value, paused, empty_runs, last_empty_started, last_empty_ended) VALUES "+
			"('a', 'i:5', 0, 3, '2026-03-01 10:00:00', '2026-03-01 10:00:01'), ('b', NULL, 1, 0, NULL, NULL), ('c', NULL, 0, 0, NULL, NULL)",
		"INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at, rows_read) VALUES "+
			"('a', 'schedule', 'ok', 1, '2026-03-01 09:00:00', '2026-03-01 09:00:01', 4), "+
			"('b', 'schedule', 'ok', 1, '2026-03-01 09:00:00', '2026-03-01 09:00:02', 2), "+
			"('a', 'schedule', 'failed', 2, '2026-03-01 09:10:00', '2026-03-01 09:10:01', 0), "+
			"('a', 'manual', 'running', 3, '2026-03-01 09:20:00', NULL, 0)",
		"INSERT INTO syncd_rejects (table_name, key_hash, row_key, row_values, error, run_id, first_seen, last_seen) VALUES "+
			"('a', UNHEX(SHA2('k1', 256)), 'k1', '{}', 'e', 1, NOW(), NOW()), ('a', UNHEX(SHA2('k2', 256)), 'k2', '{}', 'e', 1, NOW(), NOW())")
	m, err := state.New(db).Summaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		s := m[name]
		if s == nil {
			t.Fatalf("no summary of %s", name)
		}
		runs, err := state.New(db).ListRuns(ctx, state.RunFilter{Table: name, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		okStarted, ok, found, err := state.New(db).LastSuccess(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		_, rejected, err := state.New(db).ListRejects(ctx, name, 0)
		if err != nil {
			t.Fatal(err)
		}
		folded, err := state.New(db).ReadFolded(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		st, _, err := state.New(db).ReadState(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if (len(runs) == 0) != (s.LastRun == nil) || (s.LastRun != nil && s.LastRun.ID != runs[0].ID) {
			t.Errorf("%s: last run %+v, per table %+v", name, s.LastRun, runs)
		}
		if found != (s.LastSuccess != nil) || (found && (!s.LastSuccess.Equal(ok) || !s.LastSuccessStarted.Equal(okStarted))) {
			t.Errorf("%s: last success %v (started %v), per table %v (started %v)", name, s.LastSuccess, s.LastSuccessStarted, ok, okStarted)
		}
		if s.Rejected != rejected || s.Folded.Count != folded.Count || s.State.Paused != st.Paused || s.State.Position.String() != st.Position.String() {
			t.Errorf("%s: %+v, per table rejected %d, folded %+v, state %+v", name, s, rejected, folded, st)
		}
	}
	if m["a"].LastRun.Status != state.StatusRunning || m["a"].Rejected != 2 || m["a"].Folded.Count != 3 {
		t.Errorf("a: %+v, want the running run, 2 rejects, 3 folded", m["a"])
	}
}
