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

// The lookback compares the target column the cursor feeds, with the key;
// a mapping that leaves the cursor out of the target compares every
// column.
func TestLookbackComparesTheCursorColumn(t *testing.T) {
	src := []Column{{Name: "id"}, {Name: "name"}, {Name: "changed"}}
	m, err := NewMapping(tables.Table{Name: "t", Source: tables.Source{Key: []string{"id"}, Cursor: "changed"},
		Target: tables.Target{Columns: map[string]string{"id": "id", "label": "name", "modified": "changed"}}}, src)
	if err != nil {
		t.Fatal(err)
	}
	n := cursorOnly(m)
	if len(n.Columns) != 1 || n.Columns[0] != "modified" || n.From[0] != 2 || len(n.Key) != 1 || n.Key[0] != "id" {
		t.Fatalf("narrowed mapping %+v; want the column modified (from changed) and the key id", n)
	}
	m.Columns, m.From = m.Columns[:2], m.From[:2]
	for i, f := range m.From {
		if f == m.Cursor {
			m.Columns, m.From = append(m.Columns[:i:i], m.Columns[i+1:]...), append(m.From[:i:i], m.From[i+1:]...)
		}
	}
	if n := cursorOnly(m); len(n.Columns) != len(m.Columns) {
		t.Fatalf("a mapping without the cursor narrowed to %v; want all of %v", n.Columns, m.Columns)
	}
}
