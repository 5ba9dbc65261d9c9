package datasync

import (
	"testing"
	"time"

	"github.com/syncd/syncd/tables"
)

// TestLookbackNeedsItsSides: a declared lookback on a time cursor that
// cannot run (no SQL source, no target read as a source) is an error,
// never a silent skip; lookback 0 and a cursor that is no time have none.
func TestLookbackNeedsItsSides(t *testing.T) {
	at := Position{Cursor: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Key: []any{int64(1)}}
	o := Options{Table: tables.Table{Name: "t", Lookback: time.Minute}, Source: &countingSource{}}
	if l, err := newLookback(o, at); err == nil || l != nil {
		t.Fatalf("newLookback without its sides: %v, %v; want an error", l, err)
	}
	for _, tc := range []struct {
		lookback time.Duration
		pos      Position
	}{{0, at}, {time.Minute, Position{Cursor: int64(5), Key: []any{int64(1)}}}, {time.Minute, Position{}}} {
		o.Table.Lookback = tc.lookback
		if l, err := newLookback(o, tc.pos); err != nil || l != nil {
			t.Errorf("lookback %v from %v: %v, %v; want none", tc.lookback, tc.pos, l, err)
		}
	}
}
