package mssql

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
	datasync "github.com/syncd/syncd/sync"
)

// The raw values below are what go-mssqldb v1.11.2 hands to a *any for
// each type; the helpers repeat its decoding where a value is computed.

// driverDateTime is types.go: decodeDateTime of a datetime stored as days
// since 1900-01-01 and ticks of 1/300 s since midnight, in the DSN's
// "timezone" loc (UTC unless set).
func driverDateTime(days, ticks int, loc *time.Location) time.Time {
	ns := int(math.Trunc(float64(ticks%300)/0.3+0.5)) * 1000000 // threeHundredthsOfASecondToNanos
	return time.Date(1900, 1, 1+days, 0, 0, ticks/300, ns, loc)
}

// driverEncodesTicks is the tick count types.go: encodeDateTime sends for
// the nanoseconds of t (nanosToThreeHundredthsOfASecond).
func driverEncodesTicks(t time.Time) int {
	return int(math.Round(float64(t.Nanosecond()) * 3 / 1e7))
}

// guidWire is 6F9619FF-8B86-D011-B42D-00C04FC964FF (the example of SQL
// Server's uniqueidentifier documentation) as it comes off the wire and out
// of types.go: decodeGuid: the first three groups little-endian.
var guidWire = []byte{0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}

const guidText = "6F9619FF-8B86-D011-B42D-00C04FC964FF"

var plus8 = time.FixedZone("", 8*3600)

func TestConverter(t *testing.T) {
	jan2 := 45291 // 2024-01-02 in days since 1900-01-01
	tests := []struct {
		name string
		typ  string
		raw  any
		want any
	}{
		{"bit true", "BIT", true, int64(1)},
		{"bit false", "BIT", false, int64(0)},
		{"tinyint", "TINYINT", int64(255), int64(255)},
		{"smallint", "SMALLINT", int64(-32768), int64(-32768)},
		{"int", "INT", int64(-2147483648), int64(-2147483648)},
		{"bigint", "BIGINT", int64(math.MaxInt64), int64(math.MaxInt64)},
		{"real", "REAL", float64(float32(1.1)), 1.1},
		{"real keeps its shortest digits", "REAL", float64(float32(0.1)), 0.1},
		{"float", "FLOAT", 1.0000000000000002, 1.0000000000000002},
		// decodeDecimal and decodeMoney give the text through ScaleBytes.
		{"decimal(38,10) all digits", "DECIMAL", []byte("1234567890123456789012345678.1234567890"), "1234567890123456789012345678.1234567890"},
		{"decimal negative below one", "DECIMAL", []byte("-0.0000000001"), "-0.0000000001"},
		{"decimal scale 0", "DECIMAL", []byte("-99999999999999999999999999999999999999"), "-99999999999999999999999999999999999999"},
		{"money max", "MONEY", []byte("922337203685477.5807"), "922337203685477.5807"},
		{"money negative cent", "MONEY", []byte("-0.0100"), "-0.0100"},
		{"smallmoney min", "SMALLMONEY", []byte("-214748.3648"), "-214748.3648"},
		{"datetime tick 1 is .003", "DATETIME", driverDateTime(jan2, 3*3600*300+1, time.UTC), time.Date(2024, 1, 2, 3, 0, 0, 3e6, time.UTC)},
		{"datetime tick 2 is .007", "DATETIME", driverDateTime(jan2, 2, time.UTC), time.Date(2024, 1, 2, 0, 0, 0, 7e6, time.UTC)},
		{"datetime last tick is .997", "DATETIME", driverDateTime(jan2, 300*86400-1, time.UTC), time.Date(2024, 1, 2, 23, 59, 59, 997e6, time.UTC)},
		{"datetime in a DSN timezone keeps its wall clock", "DATETIME", driverDateTime(jan2, 300, plus8), time.Date(2024, 1, 2, 0, 0, 1, 0, time.UTC)},
		{"smalldatetime", "SMALLDATETIME", time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC), time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC)},
		{"datetime2(7) keeps 100 ns", "DATETIME2", time.Date(2024, 2, 29, 23, 59, 59, 999999900, time.UTC), time.Date(2024, 2, 29, 23, 59, 59, 999999900, time.UTC)},
		{"datetime2 in a DSN timezone", "DATETIME2", time.Date(1, 1, 1, 0, 0, 0, 100, plus8), time.Date(1, 1, 1, 0, 0, 0, 100, time.UTC)},
		{"date", "DATE", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		// decodeDateTimeOffset builds the local time in a FixedZone of the offset.
		{"datetimeoffset +08:00 is the UTC instant", "DATETIMEOFFSET", time.Date(2024, 1, 2, 8, 0, 0, 1234500, plus8), time.Date(2024, 1, 2, 0, 0, 0, 1234500, time.UTC)},
		{"datetimeoffset -05:30", "DATETIMEOFFSET", time.Date(2024, 1, 1, 20, 0, 0, 0, time.FixedZone("", -330*60)), time.Date(2024, 1, 2, 1, 30, 0, 0, time.UTC)},
		// decodeTime puts a time on 0001-01-01.
		{"time(7)", "TIME", time.Date(1, 1, 1, 15, 4, 5, 123456700, time.UTC), "15:04:05.1234567"},
		{"time trailing zeros", "TIME", time.Date(1, 1, 1, 15, 4, 5, 500000000, time.UTC), "15:04:05.5"},
		{"time whole seconds", "TIME", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "00:00:00"},
		{"nvarchar 4-byte characters", "NVARCHAR", "𝄞😀 供应商", "𝄞😀 供应商"},
		{"nchar", "NCHAR", "ab  ", "ab  "},
		{"varchar", "VARCHAR", "plain", "plain"},
		{"char", "CHAR", "x", "x"},
		{"text", "TEXT", "long", "long"},
		{"ntext", "NTEXT", "😀", "😀"},
		{"xml", "XML", "<a>😀</a>", "<a>😀</a>"},
		{"varbinary", "VARBINARY", []byte{0, 1, 0xFF}, []byte{0, 1, 0xFF}},
		{"binary", "BINARY", []byte{0xAB, 0}, []byte{0xAB, 0}},
		{"image", "IMAGE", []byte{}, []byte{}},
		{"uniqueidentifier", "UNIQUEIDENTIFIER", guidWire, guidText},
		{"rowversion is big-endian", "ROWVERSION", []byte{0, 0, 0, 0, 0, 0, 0x07, 0xD1}, uint64(2001)},
		{"rowversion high bit", "ROWVERSION", []byte{0x80, 0, 0, 0, 0, 0, 0, 1}, uint64(1<<63 + 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conv := mustConverter(t, tc.typ)
			got, err := conv(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			assertPortable(t, got, tc.want)
			if got, err := conv(nil); got != nil || err != nil {
				t.Errorf("conv(nil) = %v, %v; want nil, nil", got, err)
			}
		})
	}
}

func mustConverter(t *testing.T, typ string) func(any) (any, error) {
	t.Helper()
	conv, err := Dialect{}.Converter(datasync.Column{Name: "c", DatabaseType: typ})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// assertPortable compares exactly, and requires times in time.UTC.
func assertPortable(t *testing.T, got, want any) {
	t.Helper()
	if w, ok := want.(time.Time); ok {
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) || g.Location() != time.UTC {
			t.Fatalf("got %#v (%T), want %v in UTC", got, got, w)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v (%T), want %#v (%T)", got, got, want, want)
	}
}

func TestConverterRefusesUnsupportedTypes(t *testing.T) {
	// SQL_VARIANT is the driver's name of sql_variant; CLR types are named
	// after the type (types.go: makeGoLangTypeName).
	for _, typ := range []string{"SQL_VARIANT", "GEOGRAPHY", "HIERARCHYID", "GEOMETRY", ""} {
		_, err := Dialect{}.Converter(datasync.Column{Name: "c", DatabaseType: typ})
		if err == nil || !strings.Contains(err.Error(), "type "+typ+" is not supported") {
			t.Errorf("%s: err = %v, want one naming the type", typ, err)
		}
	}
}

func TestConverterRefusesUnexpectedValues(t *testing.T) {
	tests := []struct {
		typ string
		raw any
	}{
		{"BIT", int64(1)}, {"INT", int32(1)}, {"FLOAT", float32(1)}, {"DECIMAL", 1.5},
		{"DATETIME", "2024-01-01"}, {"DATETIMEOFFSET", "x"}, {"TIME", "12:00"},
		{"NVARCHAR", []byte("x")}, {"VARBINARY", "x"},
		{"UNIQUEIDENTIFIER", guidWire[:15]}, {"UNIQUEIDENTIFIER", guidText},
		{"ROWVERSION", []byte{1, 2, 3}}, {"ROWVERSION", uint64(1)},
	}
	for _, tc := range tests {
		_, err := mustConverter(t, tc.typ)(tc.raw)
		if err == nil || !strings.HasPrefix(err.Error(), tc.typ+" value: ") {
			t.Errorf("%s of %T: err = %v, want an error naming the type", tc.typ, tc.raw, err)
		}
	}
}

// Every datetime tick the driver can decode survives convert, bind as
// DateTime1 and the driver's encoding unchanged: a cursor read from a
// datetime column compares equal to itself.
func TestDateTimeTicksRoundTrip(t *testing.T) {
	conv := mustConverter(t, "DATETIME")
	col := datasync.Column{Name: "c", DatabaseType: "DATETIME"}
	for tick := 0; tick < 300; tick++ {
		v, err := conv(driverDateTime(45291, 12*3600*300+tick, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Dialect{}.Bind(col, v)
		if err != nil {
			t.Fatal(err)
		}
		dt, ok := p.(mssql.DateTime1)
		if !ok {
			t.Fatalf("tick %d: bound as %T, want mssql.DateTime1", tick, p)
		}
		if !time.Time(dt).Equal(v.(time.Time)) || driverEncodesTicks(time.Time(dt)) != tick {
			t.Fatalf("tick %d: %v bound as %v, sent as tick %d", tick, v, time.Time(dt), driverEncodesTicks(time.Time(dt)))
		}
	}
}

// A time between ticks is bound at the tick below, never above: an upper
// bound rounded up could read a row that has not settled.
func TestDateTimeBindNeverRoundsUp(t *testing.T) {
	tests := []struct{ in, want int }{
		{2900000, 0}, {3000000, 3000000}, {3500000, 3000000}, {6999999, 3000000},
		{7000000, 7000000}, {998400000, 997000000}, {999999999, 997000000},
	}
	col := datasync.Column{Name: "c", DatabaseType: "SMALLDATETIME"}
	for _, tc := range tests {
		in := time.Date(2024, 1, 2, 3, 4, 5, tc.in, time.UTC)
		p, err := Dialect{}.Bind(col, in)
		if err != nil {
			t.Fatal(err)
		}
		got := time.Time(p.(mssql.DateTime1))
		if want := time.Date(2024, 1, 2, 3, 4, 5, tc.want, time.UTC); !got.Equal(want) {
			t.Errorf("%d ns: bound %v, want %v", tc.in, got, want)
		}
	}
}

func TestGUIDRoundTrip(t *testing.T) {
	v, err := mustConverter(t, "UNIQUEIDENTIFIER")(guidWire)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Dialect{}.Bind(datasync.Column{Name: "id", DatabaseType: "UNIQUEIDENTIFIER"}, v)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := p.(mssql.UniqueIdentifier)
	if !ok {
		t.Fatalf("bound as %T, want mssql.UniqueIdentifier", p)
	}
	// mssql.go: makeParam sends UniqueIdentifier.Value as the wire bytes.
	wire, _ := u.Value()
	if !bytes.Equal(wire.([]byte), guidWire) || u.String() != guidText {
		t.Errorf("sent % X (%s), want % X", wire, u, guidWire)
	}
}

func TestRowversionRoundTrip(t *testing.T) {
	raw := []byte{0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04}
	v, err := mustConverter(t, "ROWVERSION")(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"ROWVERSION", "BINARY"} {
		p, err := Dialect{}.Bind(datasync.Column{Name: "rv", DatabaseType: typ}, v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.([]byte), raw) {
			t.Errorf("%s: bound % X, want % X", typ, p, raw)
		}
	}
}

func TestBind(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456700, time.UTC)
	guid := mssql.UniqueIdentifier{0x6F, 0x96, 0x19, 0xFF, 0x8B, 0x86, 0xD0, 0x11, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}
	tests := []struct {
		typ  string
		in   any
		want any
	}{
		{"BIT", int64(1), true},
		{"BIT", int64(0), false},
		{"TINYINT", int64(255), uint8(255)},
		{"TINYINT", int64(256), int64(256)},
		{"SMALLINT", int64(-32768), int16(-32768)},
		{"INT", int64(7), int32(7)},
		{"INT", int64(1 << 40), int64(1 << 40)},
		{"BIGINT", int64(-1), int64(-1)},
		{"REAL", 1.5, 1.5},
		{"REAL", 0.1, float64(float32(0.1))},
		{"FLOAT", 1.5, 1.5},
		{"DECIMAL", "-12345678901234567890.0123456789", "-12345678901234567890.0123456789"},
		{"MONEY", "-0.0100", "-0.0100"},
		{"DATETIME", time.Date(2024, 1, 2, 3, 4, 5, 7e6, time.UTC), mssql.DateTime1(time.Date(2024, 1, 2, 3, 4, 5, 7e6, time.UTC))},
		{"DATETIME2", at, civil.DateTime{Date: civil.Date{Year: 2024, Month: 1, Day: 2}, Time: civil.Time{Hour: 3, Minute: 4, Second: 5, Nanosecond: 123456700}}},
		{"DATE", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), civil.Date{Year: 2024, Month: 1, Day: 2}},
		{"DATETIMEOFFSET", at, mssql.DateTimeOffset(at)},
		{"TIME", "15:04:05.1234567", civil.Time{Hour: 15, Minute: 4, Second: 5, Nanosecond: 123456700}},
		{"VARCHAR", "ASCII key", mssql.VarChar("ASCII key")},
		{"CHAR", "é", "é"},
		{"NVARCHAR", "𝄞😀", "𝄞😀"},
		{"NCHAR", "k", "k"},
		{"VARBINARY", []byte{1}, []byte{1}},
		{"UNIQUEIDENTIFIER", guidText, guid},
		{"UNIQUEIDENTIFIER", strings.ToLower(guidText), guid},
		{"ROWVERSION", uint64(0x0102), []byte{0, 0, 0, 0, 0, 0, 1, 2}},
	}
	for _, tc := range tests {
		got, err := Dialect{}.Bind(datasync.Column{Name: "c", DatabaseType: tc.typ}, tc.in)
		if err != nil {
			t.Errorf("%s %v: %v", tc.typ, tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %v: bound %#v (%T), want %#v (%T)", tc.typ, tc.in, got, got, tc.want, tc.want)
		}
	}
}

func TestBindRefuses(t *testing.T) {
	tests := []struct {
		typ string
		in  any
	}{
		{"INT", nil}, {"INT", "1"}, {"DECIMAL", 1.5}, {"DECIMAL", "1e5"}, {"DECIMAL", "1; DROP"},
		{"DATETIME", "2024-01-01"}, {"DATETIME2", int64(1)}, {"UNIQUEIDENTIFIER", "6F9619FF8B86D011B42D00C04FC964FF"},
		{"UNIQUEIDENTIFIER", "6F9619FF-8B86-D011-B42D-00C04FC964FG"}, {"TEXT", "x"}, {"NTEXT", "x"},
		{"XML", "<a/>"}, {"IMAGE", []byte{}}, {"SQL_VARIANT", int64(1)}, {"TIME", "25:00:00"},
	}
	for _, tc := range tests {
		if got, err := (Dialect{}).Bind(datasync.Column{Name: "c", DatabaseType: tc.typ}, tc.in); err == nil {
			t.Errorf("%s %#v: bound %#v, want an error", tc.typ, tc.in, got)
		}
	}
}
