package datasync

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// numbered is a dialect's placeholder style for the text tests.
type numbered struct{ Dialect }

func (numbered) Placeholder(n int) string { return fmt.Sprintf("$%d", n) }

func identity(_ column, v any) (any, error) { return v, nil }

func TestPageWhere(t *testing.T) {
	cur := column{Column{Name: "c"}, `"c"`}
	k1, k2 := column{Column{Name: "a"}, `"a"`}, column{Column{Name: "b"}, `"b"`}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := ts.Add(time.Hour)
	cases := []struct {
		name string
		keys []column
		pos  Position
		want string
		args []any
	}{
		{"initial load", []column{k1}, Position{}, `"c" <= $1`, []any{hi}},
		{"inclusive start", []column{k1}, Position{Cursor: ts}, `"c" >= $1 AND "c" <= $2`, []any{ts, hi}},
		{"after a key", []column{k1}, Position{Cursor: ts, Key: []any{int64(5)}},
			`"c" >= $1 AND "c" <= $2 AND ("c" > $3 OR ("c" = $4 AND "a" > $5))`, []any{ts, hi, ts, ts, int64(5)}},
		{"after a composite key", []column{k1, k2}, Position{Cursor: ts, Key: []any{int64(5), "x"}},
			`"c" >= $1 AND "c" <= $2 AND ("c" > $3 OR ("c" = $4 AND ("a" > $5 OR ("a" = $6 AND "b" > $7))))`,
			[]any{ts, hi, ts, ts, int64(5), int64(5), "x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &params{d: numbered{}}
			got, err := pageWhere(p, identity, cur, c.keys, c.pos, hi)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want || !reflect.DeepEqual(p.vals, c.args) {
				t.Fatalf("got  %s %v\nwant %s %v", got, p.vals, c.want, c.args)
			}
		})
	}
}

// TestKeysetNeverSkipsTies walks a table in pages with the predicate's
// meaning evaluated in Go: every row, many sharing one cursor value, comes
// exactly once, whatever the page size.
func TestKeysetNeverSkipsTies(t *testing.T) {
	type row struct{ c, k int }
	var rows []row
	for k := 0; k < 97; k++ {
		rows = append(rows, row{c: k / 40, k: k}) // 40 rows per cursor value
	}
	after := func(r row, p Position) bool {
		if p.IsZero() {
			return true
		}
		c, k := p.Cursor.(int), p.Key[0].(int)
		return r.c >= c && (r.c > c || (r.c == c && r.k > k)) // the shape of pageWhere
	}
	for _, size := range []int{1, 7, 39, 40, 41, 97, 200} {
		seen := map[int]int{}
		pos := Position{}
		for {
			var page []row
			for _, r := range rows {
				if after(r, pos) && len(page) < size {
					page = append(page, r)
				}
			}
			for _, r := range page {
				seen[r.k]++
			}
			if len(page) < size {
				break
			}
			last := page[len(page)-1]
			pos = Position{Cursor: last.c, Key: []any{last.k}}
		}
		for _, r := range rows {
			if seen[r.k] != 1 {
				t.Fatalf("page size %d: row %d seen %d times", size, r.k, seen[r.k])
			}
		}
	}
}
