package tables

import "testing"

// The parts of a snapshot: declared, or one per million source rows, at
// least 1 and at most 16.
func TestSnapshotParts(t *testing.T) {
	for _, c := range []struct {
		declared int
		rows     int64
		want     int
	}{
		{0, 0, 1}, {0, 1_000_000, 1}, {0, 1_000_001, 2}, {0, 3_500_000, 4}, {0, 100_000_000, 16},
		{5, 10, 5}, {1, 50_000_000, 1},
	} {
		tb := Table{Snapshot: Snapshot{Parts: c.declared}}
		if got := tb.SnapshotParts(c.rows); got != c.want {
			t.Errorf("parts %d, %d rows: %d parts; want %d", c.declared, c.rows, got, c.want)
		}
	}
}

// A first load is a snapshot when parts are declared, or when the source
// holds a million rows or more (docs/operations.md, "Snapshots").
func TestBySnapshot(t *testing.T) {
	for _, c := range []struct {
		declared int
		rows     int64
		want     bool
	}{
		{0, 0, false}, {0, 999_999, false}, {0, 1_000_000, true}, {0, 5_000_000, true},
		{1, 0, true}, {3, 10, true},
	} {
		tb := Table{Snapshot: Snapshot{Parts: c.declared}}
		if got := tb.BySnapshot(c.rows); got != c.want {
			t.Errorf("parts %d, %d rows: by snapshot %v; want %v", c.declared, c.rows, got, c.want)
		}
	}
}
