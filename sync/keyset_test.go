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

// That the predicate never skips or repeats a row, whatever the ties, is
// tested on each dialect's server through the real page reading: the
// contract suite's TieShapesReadOnce (sync/contract/keyset.go).
