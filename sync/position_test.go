package datasync

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestEncodeValueRoundTrip(t *testing.T) {
	plus8 := time.FixedZone("", 8*3600)
	values := []any{
		int64(0), int64(math.MinInt64), int64(math.MaxInt64),
		uint64(math.MaxUint64), // a rowversion at its top
		0.1, -1e300,
		"", "供应商 𝄞 with : colons",
		[]byte{}, []byte{0, 0xff, 0x10},
		time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), // datetime2(7) and beyond
		time.Date(2026, 1, 2, 3, 4, 5, 3333333, time.UTC),   // datetime's 1/300 s
		time.Date(2026, 1, 2, 3, 4, 5, 100, plus8),          // an offset kept
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),            // the smallest datetime2
		time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC),
	}
	for _, v := range values {
		s, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		got, err := DecodeValue(s)
		if err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		if tv, ok := v.(time.Time); ok {
			gt := got.(time.Time)
			_, wantOff := tv.Zone()
			_, gotOff := gt.Zone()
			if !gt.Equal(tv) || wantOff != gotOff || gt.Nanosecond() != tv.Nanosecond() {
				t.Fatalf("time %v came back as %v", tv, gt)
			}
			if wantOff == 0 && gt.Location() != time.UTC {
				t.Fatalf("UTC time came back in %v", gt.Location())
			}
			continue
		}
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("%#v came back as %#v (%q)", v, got, s)
		}
	}
}

func TestEncodeValueRefusesUnknownTypes(t *testing.T) {
	if _, err := EncodeValue(struct{}{}); err == nil {
		t.Fatal("a struct was encoded")
	}
	for _, bad := range []string{"", "x", "q:1", "i:1.5", "t:yesterday", "b:!!"} {
		if _, err := DecodeValue(bad); err == nil {
			t.Fatalf("DecodeValue(%q) gave no error", bad)
		}
	}
}

func TestPositionRoundTrip(t *testing.T) {
	ts := time.Date(2026, 5, 6, 7, 8, 9, 100, time.UTC)
	for _, p := range []Position{
		{},
		{Cursor: ts},
		{Cursor: ts, Key: []any{int64(7), "a\"b", []byte{1}}},
		{Cursor: int64(42), Key: []any{"6F9619FF-8B86-D011-B42D-00C04FC964FF"}},
	} {
		c, k, err := EncodePosition(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodePosition(c, k)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("%v came back as %v", p, got)
		}
	}
}
