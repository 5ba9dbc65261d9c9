package mssql

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
	datasync "github.com/syncd/syncd/sync"
)

// binders turn portable values into parameters of the column's own type,
// so that SQL Server converts nothing on the column's side of a comparison
// and can seek the (cursor, key) index. Types that cannot be compared
// (text, ntext, image, xml) or that are never a cursor or key have none.
var binders = map[string]func(any) (any, error){
	typeBit:            toBit,
	typeTinyInt:        toInt(0, math.MaxUint8, func(i int64) any { return uint8(i) }),
	typeSmallInt:       toInt(math.MinInt16, math.MaxInt16, func(i int64) any { return int16(i) }),
	typeInt:            toInt(math.MinInt32, math.MaxInt32, func(i int64) any { return int32(i) }),
	typeBigInt:         toInt(math.MinInt64, math.MaxInt64, func(i int64) any { return i }),
	typeReal:           toReal,
	typeFloat:          toFloat,
	typeDecimal:        toDecimal,
	typeNumeric:        toDecimal,
	typeMoney:          toDecimal,
	typeSmallMoney:     toDecimal,
	typeDate:           toDate,
	typeSmallDateTime:  toDateTime1,
	typeDateTime:       toDateTime1,
	typeDateTime2:      toDateTime2,
	typeDateTimeOffset: toDateTimeOffset,
	typeTime:           toTimeOfDay,
	typeChar:           toVarChar,
	typeVarChar:        toVarChar,
	typeNChar:          toNVarChar,
	typeNVarChar:       toNVarChar,
	typeBinary:         toBytes,
	typeVarBinary:      toBytes,
	typeGUID:           toGUID,
	typeRowversion:     toBytes,
}

// Bind implements datasync.Dialect. Times for columns without a zone are
// compared by their wall clock as written (portable ones are in UTC);
// datetimeoffset by instant. A nil is refused: "c > NULL" is never true,
// so a NULL cursor or key would silently end the run.
func (Dialect) Bind(col datasync.Column, v any) (any, error) {
	if v == nil {
		return nil, fmt.Errorf("column %s: cannot compare with NULL", col.Name)
	}
	bind, ok := binders[col.DatabaseType]
	if !ok {
		return nil, fmt.Errorf("column %s: a %s column cannot be compared as a cursor or key", col.Name, col.DatabaseType)
	}
	p, err := bind(v)
	if err != nil {
		return nil, fmt.Errorf("column %s (%s): %w", col.Name, col.DatabaseType, err)
	}
	return p, nil
}

func cannotBind(v any) error { return fmt.Errorf("cannot bind a %T", v) }

// toBit: the driver sends bool as bit (mssql.go: makeParam).
func toBit(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return x != 0, nil
	case bool:
		return x, nil
	}
	return nil, cannotBind(v)
}

// toInt binds an integer in the column's own width when it fits (the
// driver sends uint8 as tinyint, int16, int32 and int64 as smallint, int
// and bigint: mssql.go: makeParam): a bigint parameter would make SQL
// Server widen the column instead. A value out of the column's range stays
// int64, which still compares correctly.
func toInt(lo, hi int64, narrow func(int64) any) func(any) (any, error) {
	return func(v any) (any, error) {
		i, ok := v.(int64)
		if !ok {
			return nil, cannotBind(v)
		}
		if i < lo || i > hi {
			return i, nil
		}
		return narrow(i), nil
	}
}

// toFloat: float64 is sent as float(53); a real column widens exactly.
func toFloat(v any) (any, error) {
	if f, ok := v.(float64); ok {
		return f, nil
	}
	return nil, cannotBind(v)
}

// toReal widens the value as SQL Server widens the real column it is
// compared with: 0.1 read from a real column is float32(0.1), not 0.1.
func toReal(v any) (any, error) {
	if f, ok := v.(float64); ok {
		return float64(float32(f)), nil
	}
	return nil, cannotBind(v)
}

var decimalText = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)

// toDecimal sends the exact text, as nvarchar (go-mssqldb has no decimal
// parameter: shopspring's Decimal is a Valuer of a string, mssql.go:
// makeParam). nvarchar ranks below decimal and money, so SQL Server
// converts the parameter, never the column, and a value read from the
// column converts back exactly.
func toDecimal(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, cannotBind(v)
	}
	if !decimalText.MatchString(s) {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return s, nil
}

// toDateTime1 binds datetime and smalldatetime cursors as datetime. A
// plain time.Time would go as datetimeoffset (mssql.go: makeParam, TDS
// 7.3+), which ranks above datetime, so SQL Server would convert every
// row's column to compare it. mssql.DateTime1 is sent as datetime
// (mssql_go19.go: makeParamExtra, types.go: encodeDateTime), with the time
// rounded to the nearest 1/300 s; the time is first moved down to a tick,
// so the parameter is never later than the value: a bound rounded up
// could read a row that has not settled. smalldatetime values are whole
// minutes, exact in datetime, and a smalldatetime parameter would round.
func toDateTime1(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, cannotBind(v)
	}
	return mssql.DateTime1(floorDateTimeTick(t)), nil
}

// floorDateTimeTick returns the latest datetime value at or before t, with
// its nanoseconds as the driver decodes them (types.go:
// threeHundredthsOfASecondToNanos: tick 1 is .003, tick 2 .007). Values
// read from a datetime column come back unchanged.
func floorDateTimeTick(t time.Time) time.Time {
	ns := t.Nanosecond()
	tick := int(math.Round(float64(ns) * 3 / 1e7)) // as types.go: nanosToThreeHundredthsOfASecond
	if tickNanos(tick) > ns {
		tick--
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), tickNanos(tick), t.Location())
}

func tickNanos(tick int) int { return int(math.Trunc(float64(tick)/0.3+0.5)) * 1e6 }

// toDateTime2: civil.DateTime (github.com/golang-sql/civil, the one the
// driver imports) is sent as datetime2(7) with the wall clock as written
// (mssql_go19.go: makeParamExtra; encodeDateTime2 drops digits below
// 100 ns, rounding down).
func toDateTime2(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, cannotBind(v)
	}
	return civil.DateTimeOf(t), nil
}

// toDate: civil.Date is sent as date.
func toDate(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, cannotBind(v)
	}
	return civil.DateOf(t), nil
}

// toDateTimeOffset: mssql.DateTimeOffset is always sent as
// datetimeoffset(7) with the time's own offset (mssql_go19.go:
// makeParamExtra); a plain time.Time would be too, but only on TDS 7.3+.
// SQL Server compares datetimeoffset by instant.
func toDateTimeOffset(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, cannotBind(v)
	}
	return mssql.DateTimeOffset(t), nil
}

// toTimeOfDay: the portable text of a time goes back as time(7).
func toTimeOfDay(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, cannotBind(v)
	}
	return civil.ParseTime(s)
}

// toVarChar binds strings for char and varchar columns. A string is sent as
// nvarchar (mssql.go: makeStrParam), which ranks above varchar: SQL Server
// would convert the column, and with a SQL collation scan instead of seek.
// mssql.VarChar is sent as varchar, but as the UTF-8 bytes themselves with
// an empty collation (mssql_go19.go: makeParamExtra sets none; types.go:
// writeVarLen writes it), so the server reads the bytes in a code page of
// its choosing, not as UTF-8: only ASCII, the same in every code page, can
// go that way. Other text stays nvarchar, slower but compared correctly.
func toVarChar(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, cannotBind(v)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return s, nil
		}
	}
	return mssql.VarChar(s), nil
}

// toNVarChar: a string is sent as nvarchar, UTF-16 with surrogate pairs
// (tds.go: str2ucs2).
func toNVarChar(v any) (any, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return nil, cannotBind(v)
}

// toBytes binds binary and rowversion values as varbinary, which compares
// with binary byte by byte. A rowversion's uint64 becomes its 8 big-endian
// bytes again.
func toBytes(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case uint64:
		return binary.BigEndian.AppendUint64(nil, x), nil
	}
	return nil, cannotBind(v)
}

// toGUID parses the canonical text into mssql.UniqueIdentifier, which holds
// the bytes in text order; its Value puts the first three groups back in
// wire order and the driver sends it as uniqueidentifier (mssql.go:
// makeParam; uniqueidentifier.go: Value). Parsed here rather than with its
// Scan, which accepts any 36 characters.
func toGUID(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, cannotBind(v)
	}
	var u mssql.UniqueIdentifier
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, fmt.Errorf("%q is not a GUID (want 6F9619FF-8B86-D011-B42D-00C04FC964FF)", s)
	}
	digits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(digits)); err != nil {
		return nil, fmt.Errorf("%q is not a GUID: %w", s, err)
	}
	return u, nil
}
