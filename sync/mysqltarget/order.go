package mysqltarget

import (
	"cmp"
	"slices"

	datasync "github.com/syncd/syncd/sync"
)

// sortByKey orders rows by key and keeps only the last row of each key, so
// that a page never upserts one key twice.
func (t *Target) sortByKey(rows []datasync.Row) []datasync.Row {
	sorted := make([]datasync.Row, len(rows))
	copy(sorted, rows)
	// A page read in key order is checked in one pass, not sorted; else
	// an unstable sort on (key, position) keeps the later row of a key
	// last without the rotations of a stable sort.
	if !slices.IsSortedFunc(sorted, t.compareKeys) {
		at := make([]keyed, len(rows))
		for i, r := range rows {
			at[i] = keyed{r, i}
		}
		slices.SortFunc(at, func(a, b keyed) int { return cmp.Or(t.compareKeys(a.row, b.row), a.at-b.at) })
		for i, k := range at {
			sorted[i] = k.row
		}
	}
	out := sorted[:0]
	for i, r := range sorted {
		if i+1 < len(sorted) && t.compareKeys(r, sorted[i+1]) == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

// keyed is a row and its place in the page.
type keyed struct {
	row datasync.Row
	at  int
}
