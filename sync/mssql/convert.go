package mssql

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	datasync "github.com/syncd/syncd/sync"
)

// converters turn what go-mssqldb hands to a *any (types.go:
// readFixedType, readByteLenTypeWithEncoding, readShortLenType,
// readLongLenType, readPLPType) into portable values, by type name.
var converters = map[string]func(any) (any, error){
	typeBit:            fromBit,
	typeTinyInt:        fromInt,
	typeSmallInt:       fromInt,
	typeInt:            fromInt,
	typeBigInt:         fromInt,
	typeReal:           fromReal,
	typeFloat:          fromFloat,
	typeDecimal:        fromDecimal,
	typeNumeric:        fromDecimal,
	typeMoney:          fromDecimal,
	typeSmallMoney:     fromDecimal,
	typeDate:           fromWallClock,
	typeSmallDateTime:  fromWallClock,
	typeDateTime:       fromWallClock,
	typeDateTime2:      fromWallClock,
	typeDateTimeOffset: fromInstant,
	typeTime:           fromTimeOfDay,
	typeChar:           fromString,
	typeVarChar:        fromString,
	typeText:           fromString,
	typeNChar:          fromString,
	typeNVarChar:       fromString,
	typeNText:          fromString,
	typeXML:            fromString,
	typeBinary:         fromBytes,
	typeVarBinary:      fromBytes,
	typeImage:          fromBytes,
	typeGUID:           fromGUID,
	typeRowversion:     fromRowversion,
}

// Converter implements datasync.Dialect. Types without a portable form
// (sql_variant, and CLR types such as geography or hierarchyid, which the
// driver names after the type) are refused here, when the source is
// opened, rather than on the first row that holds one.
func (Dialect) Converter(col datasync.Column) (func(any) (any, error), error) {
	conv, ok := converters[col.DatabaseType]
	if !ok {
		return nil, fmt.Errorf("SQL Server type %s is not supported: convert it in a query: source (e.g. CAST(col AS nvarchar(max)))", col.DatabaseType)
	}
	typ := col.DatabaseType
	return func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		out, err := conv(v)
		if err != nil {
			return nil, fmt.Errorf("%s value: %w", typ, err)
		}
		return out, nil
	}, nil
}

func unexpected(v any) error { return fmt.Errorf("unexpected driver value of type %T", v) }

// fromBit: the driver gives bool (typeBit, typeBitN); targets take 0/1.
func fromBit(v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, unexpected(v)
	}
	if b {
		return int64(1), nil
	}
	return int64(0), nil
}

// fromInt: every integer width arrives as int64 (typeInt1..typeInt8,
// typeIntN); tinyint is unsigned and fits.
func fromInt(v any) (any, error) {
	// v itself, not i boxed again: an int64 of 256 or more costs an
	// allocation each time it is put in an interface.
	if _, ok := v.(int64); ok {
		return v, nil
	}
	return nil, unexpected(v)
}

// fromFloat: float arrives as float64.
func fromFloat(v any) (any, error) {
	if _, ok := v.(float64); ok {
		return v, nil
	}
	return nil, unexpected(v)
}

// fromReal: real arrives widened to float64 (0.1 as 0.10000000149011612);
// it becomes the float64 nearest the float32's shortest decimal text, as
// the PostgreSQL and MySQL sources give float4 and FLOAT, so that 0.1
// stays 0.1 in a DOUBLE target too.
func fromReal(v any) (any, error) {
	f, ok := v.(float64)
	if !ok {
		return nil, unexpected(v)
	}
	return strconv.ParseFloat(strconv.FormatFloat(float64(float32(f)), 'g', -1, 32), 64)
}

// fromDecimal: decimal, numeric, money and smallmoney arrive as the exact
// decimal text in a []byte (types.go: decodeDecimal, decodeMoney,
// decodeMoney4, all through internal/decimal.ScaleBytes: "-0.0100"), never
// as a float; it stays text so no digit is lost.
func fromDecimal(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return string(x), nil
	case string:
		return x, nil
	}
	return nil, unexpected(v)
}

// fromWallClock: date, smalldatetime, datetime and datetime2 have no zone;
// the driver builds a time.Time with their fields in the DSN's "timezone"
// (UTC unless set; msdsn.Parse, types.go: decodeDateTime). The same wall
// clock is put in UTC, whatever that setting, so no value shifts.
func fromWallClock(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, unexpected(v)
	}
	if t.Location() == time.UTC {
		return v, nil // already the wall clock in UTC (the DSN's default): not boxed again
	}
	return wallClockUTC(t), nil
}

func wallClockUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// fromInstant: datetimeoffset arrives in a fixed zone of its offset
// (types.go: decodeDateTimeOffset); the portable value is the instant.
func fromInstant(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, unexpected(v)
	}
	return t.UTC(), nil
}

// timeOfDay keeps time(7)'s 100 ns digits and drops trailing zeros (and
// the point when none remain), as MySQL TIME accepts it.
const timeOfDay = "15:04:05.9999999"

// fromTimeOfDay: time arrives as a time.Time on 0001-01-01 (types.go:
// decodeTime); a time of day is not an instant, so it travels as text.
func fromTimeOfDay(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return nil, unexpected(v)
	}
	return t.Format(timeOfDay), nil
}

// fromString: char types arrive decoded from their collation's code page
// (types.go: decodeChar), n-types from UTF-16 with surrogate pairs joined
// (decodeNChar), so 4-byte characters are intact UTF-8.
func fromString(v any) (any, error) {
	if _, ok := v.(string); ok {
		return v, nil // not boxed again
	}
	return nil, unexpected(v)
}

// fromBytes: binary types arrive as a []byte of their own (the driver
// copies, and database/sql clones again for a *any).
func fromBytes(v any) (any, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return nil, unexpected(v)
}

// fromGUID: uniqueidentifier arrives as the 16 bytes of the wire, whose
// first three groups are little-endian (types.go: decodeGuid, with
// OpenDB keeping "guid conversion" off). mssql.UniqueIdentifier.Scan
// reverses those groups, and its String gives the canonical upper-case
// form (uniqueidentifier.go).
func fromGUID(v any) (any, error) {
	b, ok := v.([]byte)
	if !ok || len(b) != 16 {
		return nil, fmt.Errorf("want 16 bytes, got %T of length %d", v, lenOf(v))
	}
	var u mssql.UniqueIdentifier
	if err := u.Scan(b); err != nil {
		return nil, err
	}
	return u.String(), nil
}

// fromRowversion: a rowversion is 8 bytes that SQL Server compares as a
// big-endian unsigned number; as uint64 it orders and stores alike.
func fromRowversion(v any) (any, error) {
	b, ok := v.([]byte)
	if !ok || len(b) != 8 {
		return nil, fmt.Errorf("want 8 bytes, got %T of length %d", v, lenOf(v))
	}
	return binary.BigEndian.Uint64(b), nil
}

func lenOf(v any) int {
	if b, ok := v.([]byte); ok {
		return len(b)
	}
	return 0
}
