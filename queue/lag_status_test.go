package queue_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/sync/synctest"
)

// Status measures the lag from the start of the last success (its upper
// bound), not from its end: a success that ran from 3 h to 1 h ago, then
// a failure, is a lag of 3 h; a folded run that started 2 h ago and ended
// 10 min ago, newer, makes it 2 h. Both ways status reads (one table at a
// time, and the state tables of a target at once for many tables) agree.
func TestStatusLagFromLastSuccessStart(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	names := make([]string, 8) // enough tables for the read at once
	for i := range names {
		names[i] = fmt.Sprintf("lag%d", i)
		f.declare(names[i], "@daily")
	}
	if err := state.New(f.tgt).Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		synctest.Exec(t, f.tgt, "INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at) VALUES ('"+n+
			"', 'schedule', 'ok', 1, NOW(6) - INTERVAL 3 HOUR, NOW(6) - INTERVAL 1 HOUR), ('"+n+
			"', 'schedule', 'failed', 2, NOW(6) - INTERVAL 30 MINUTE, NOW(6) - INTERVAL 29 MINUTE)",
			"INSERT INTO syncd_state (table_name, version) VALUES ('"+n+"', 2)")
	}
	synctest.Exec(t, f.tgt, "UPDATE syncd_state SET version = 3, empty_runs = 1, last_empty_started = NOW(6) - INTERVAL 2 HOUR, "+
		"last_empty_ended = NOW(6) - INTERVAL 10 MINUTE WHERE table_name = 'lag1'")
	want := func(name string) float64 {
		if name == "lag1" {
			return 2 * 3600
		}
		return 3 * 3600
	}
	cat := f.catalog()
	status := queue.NewStatusReader(f.pools, f.enq.Inspector())
	all := status.Read(context.Background(), cat.Tables())
	for i, tb := range cat.Tables() {
		one := status.Read(context.Background(), cat.Tables()[i:i+1])[0]
		for how, st := range map[string]queue.TableStatus{"read at once": all[i], "read alone": one} {
			if st.LagSeconds == nil {
				t.Errorf("%s, %s: no lag; problems %v", tb.Name, how, st.Problems)
			} else if math.Abs(*st.LagSeconds-want(tb.Name)) > 300 {
				t.Errorf("%s, %s: lag %.0f s, want %.0f s (from the last success's start)", tb.Name, how, *st.LagSeconds, want(tb.Name))
			}
		}
	}
}
