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

// TestJudgeTellsLateFromSetBack: what each comparison outcome is counted
// as, from a position at 12:00:10 with settle 5s and lookback 15s (a
// late commit found now carries a value after 12:00:00).
func TestJudgeTellsLateFromSetBack(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 1, 12, 0, s, 0, time.UTC) }
	text := func(s int) string { return at(s).Format("2006-01-02 15:04:05.000000") }
	end := Position{Cursor: at(10), Key: []any{int64(9)}}
	cur := &SQLSource{}
	o := Options{Table: tables.Table{Settle: 5 * time.Second, Lookback: 15 * time.Second}, Current: cur}
	for _, tc := range []struct {
		name     string
		row      int // the source row's cursor second
		key      int64
		target   int // the target's cursor second, -1: missing
		narrowed bool
		want     why
	}{
		{"newer in the target", 8, 1, 9, true, whySetBack},
		{"older in the target, recent", 8, 1, 2, true, whyLate},
		{"missing, recent", 8, 1, -1, true, whyLateNew},
		{"older in the target, older than a late commit", -2, 1, -4, true, whySetBack},
		{"missing, older than a late commit", -2, 1, -1, true, whyLost},
		{"different whole row, recent", 8, 1, 9, false, whyLate},
	} {
		j := newJudge(o, end)
		r := windowRow{sig: text(tc.row), pos: Position{Cursor: at(tc.row), Key: []any{tc.key}}}
		got := j.why(r, text(tc.target), tc.target != -1, tc.narrowed)
		if got != of(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, of(tc.want))
		}
	}
	// A kept setup whose last run ended here at 12:00:30: a late commit
	// carries a value after 12:00:15.
	passed(o, end, at(25))
	j := newJudge(o, end)
	if got := j.why(windowRow{sig: text(8), pos: Position{Cursor: at(8), Key: []any{int64(1)}}}, text(2), true, true); got != of(whySetBack) {
		t.Errorf("older in the target, before the kept run's clock less lookback: %v, want set back", got)
	}
	// The row at the stored position missing: every missing row is lost.
	w := j.why(windowRow{sig: text(10), pos: Position{Cursor: at(10), Key: []any{int64(9)}}}, "", false, true)
	j.settleLost(&w)
	if w != of(whyLost) {
		t.Errorf("the stored position's row missing: %v, want lost", w)
	}
}
