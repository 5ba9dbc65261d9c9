package mysql

import (
	"math"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

func TestEncodeRows(t *testing.T) {
	at := time.Date(2026, 3, 1, 7, 8, 9, 120000000, time.UTC)
	rows := []datasync.Row{
		{int64(-1), uint64(math.MaxUint64), 0.1, nil, "a\tb\nc\rd\\e\x00f", `\N`, ""},
		{at, at.Truncate(time.Second), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Time{}, "plain", at.In(time.FixedZone("x", 3600)), 1e21},
	}
	want := "-1\t18446744073709551615\t0.1\t\\N\ta\\tb\\nc\\rd\\\\e\\0f\t\\\\N\t\n" +
		"2026-03-01 07:08:09.12\t2026-03-01 07:08:09\t0001-01-01 00:00:00.000000001\t0000-00-00\tplain\t2026-03-01 07:08:09.12\t1e+21\n"
	got, ok := encodeRows(rows)
	if !ok || string(got) != want {
		t.Fatalf("encodeRows:\n got %q (%v)\nwant %q", got, ok, want)
	}
}

// Values the stream cannot carry exactly send the page to the upsert.
func TestEncodeRowsRefuses(t *testing.T) {
	for _, v := range []any{[]byte("x"), "bad \xff utf-8", math.Inf(1), math.NaN(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), true} {
		if _, ok := encodeRows([]datasync.Row{{int64(1), v}}); ok {
			t.Errorf("encodeRows took %#v", v)
		}
	}
}
