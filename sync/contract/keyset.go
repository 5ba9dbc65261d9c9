package contract

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// testTieShapes is the keyset's property, run on the dialect's server
// through the source's own page reading: for random shapes of ties (a few
// cursor values shared by many rows; with a composite key, a few first-key
// values shared too) and every page size from 1 to 7, each row is read
// exactly once. The seed is logged, to replay a failure.
func testTieShapes(e *env) {
	seed := uint64(time.Now().UnixNano())
	e.t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	for _, composite := range []bool{false, true} {
		name, key := "shapes", []string{"id"}
		if composite {
			name, key = "shapes_composite", []string{"id", "k2"}
		}
		e.createItems(name, composite)
		for shape := 0; shape < 4; shape++ {
			e.srcExec("DELETE FROM " + e.q(name))
			rows := tieShape(r, e.base(), composite)
			e.insertItems(name, rows)
			for size := 1; size <= 7; size++ {
				e.walkOnce(name, key, size, rows)
			}
		}
	}
}

// tieShape returns 1 to 30 rows on 1 to 4 cursor values a millisecond
// apart, in random order; composite keys take their first column from 1
// to 3 values.
func tieShape(r *rand.Rand, base time.Time, composite bool) []item {
	n, cursors := 1+r.IntN(30), 1+r.IntN(4)
	ids := r.Perm(100)
	firsts := 1 + r.IntN(3)
	rows := make([]item, n)
	for i := range rows {
		it := item{id: int64(ids[i] + 1), k2: 1, ts: base.Add(time.Duration(r.IntN(cursors)) * time.Millisecond)}
		if composite {
			// ids[i] is distinct, and so is (its remainder, its quotient).
			it.id, it.k2 = int64(ids[i]%firsts+1), int32(ids[i]/firsts+1)
		}
		rows[i] = it
	}
	return rows
}

// walkOnce reads table name page by page as a run does, each page after
// the last row of the one before, and fails unless every row of want came
// exactly once.
func (e *env) walkOnce(name string, key []string, size int, want []item) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tbl := e.table(name, key, size)
	src, err := datasync.NewSQLSource(ctx, e.src, e.f.Dialect, tbl)
	if err != nil {
		e.t.Fatalf("open source: %v", err)
	}
	m, err := datasync.NewMapping(tbl, src.Columns())
	if err != nil {
		e.t.Fatalf("mapping: %v", err)
	}
	hi, err := src.UpperBound(ctx, 0)
	if err != nil {
		e.t.Fatalf("upper bound: %v", err)
	}
	seen := map[string]int{}
	pos := datasync.Position{}
	for pages := 0; ; pages++ {
		if pages > len(want) {
			e.t.Fatalf("%d rows, page size %d: still reading after %d pages (last at %s)", len(want), size, pages, pos)
		}
		page, err := src.ReadPage(ctx, pos, hi, size)
		if err != nil {
			e.t.Fatalf("read page after %s: %v", pos, err)
		}
		for _, row := range page {
			k, err := datasync.EncodeKey(m.PositionOf(row).Key)
			if err != nil {
				e.t.Fatal(err)
			}
			seen[k]++
		}
		if len(page) < size {
			break
		}
		pos = m.PositionOf(page[len(page)-1])
	}
	e.assertEachOnce(seen, key, size, want)
}

func (e *env) assertEachOnce(seen map[string]int, key []string, size int, want []item) {
	e.t.Helper()
	for _, it := range want {
		k := []any{it.id}
		if len(key) == 2 {
			k = append(k, int64(it.k2))
		}
		text, err := datasync.EncodeKey(k)
		if err != nil {
			e.t.Fatal(err)
		}
		if seen[text] != 1 {
			e.t.Fatalf("%d rows on %s, page size %d: row %s read %d times", len(want), shapeOf(want), size, text, seen[text])
		}
	}
	if len(seen) != len(want) {
		e.t.Fatalf("page size %d: %d distinct keys read, want %d", size, len(seen), len(want))
	}
}

// shapeOf describes the rows of a shape for a failure message.
func shapeOf(rows []item) string {
	per := map[time.Time]int{}
	for _, it := range rows {
		per[it.ts]++
	}
	return fmt.Sprintf("%d cursor values", len(per))
}
