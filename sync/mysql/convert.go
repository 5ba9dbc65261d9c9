package mysql

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// converters turn what go-sql-driver/mysql hands database/sql into the
// portable values of datasync.Row, by the driver's type name. The driver
// speaks two protocols, and a source uses both: the text protocol for
// statements without parameters (the upper bound, the column probe) and
// the binary one for pages. Verified on MariaDB 10.11 with parseTime:
//
//   - signed and small unsigned integers, YEAR: int64 in both.
//   - UNSIGNED BIGINT: uint64 (text); int64, or its digits as []byte above
//     MaxInt64 (binary). It always becomes uint64, so that one column's
//     values, and positions built from them, keep one type.
//   - DECIMAL: its exact digits as []byte; kept as a string.
//   - FLOAT: float32; DOUBLE: float64.
//   - BIT(n): big-endian []byte; becomes its number (BIT(1) is 0 or 1).
//   - CHAR, VARCHAR, TEXT..., ENUM, SET, JSON (MariaDB reports LONGTEXT),
//     UUID and INET6 (reported as CHAR): []byte; becomes a string.
//   - TIME: "[-]HHH:MM:SS[.ffffff]" as []byte; stays text, since it is a
//     duration and may exceed a day.
//   - BINARY, VARBINARY, BLOB...: []byte and stays so.
//   - DATE, DATETIME, TIMESTAMP: time.Time in loc (UTC).
var converters = map[string]func(any) (any, error){
	"TINYINT": convInt, "SMALLINT": convInt, "MEDIUMINT": convInt, "INT": convInt, "BIGINT": convInt, "YEAR": convInt,
	"UNSIGNED TINYINT": convInt, "UNSIGNED SMALLINT": convInt, "UNSIGNED MEDIUMINT": convInt, "UNSIGNED INT": convInt,
	"UNSIGNED BIGINT": convUint,
	"DECIMAL":         convText,
	"FLOAT":           convFloat32,
	"DOUBLE":          convFloat64,
	"BIT":             convBit,
	"CHAR":            convText, "VARCHAR": convText, "TINYTEXT": convText, "TEXT": convText,
	"MEDIUMTEXT": convText, "LONGTEXT": convText, "ENUM": convText, "SET": convText, "JSON": convText, "TIME": convText,
	"BINARY": convBytes, "VARBINARY": convBytes, "TINYBLOB": convBytes, "BLOB": convBytes,
	"MEDIUMBLOB": convBytes, "LONGBLOB": convBytes, "GEOMETRY": convBytes, "VECTOR": convBytes,
	"DATE": convTime, "DATETIME": convTime, "TIMESTAMP": convTime,
}

// convPortable passes values that are already portable (types the driver
// names by no name above) and refuses the rest.
func convPortable(v any) (any, error) {
	switch v.(type) {
	case nil, int64, uint64, float64, string, []byte, time.Time:
		return v, nil
	}
	return nil, fmt.Errorf("unexpected driver value %T", v)
}

func convInt(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64:
		return v, nil
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	}
	return nil, fmt.Errorf("integer column: unexpected driver value %T", v)
}

func convUint(v any) (any, error) {
	switch x := v.(type) {
	case nil, uint64:
		return v, nil
	case int64:
		if x < 0 {
			return nil, fmt.Errorf("unsigned column: driver gave %d", x)
		}
		return uint64(x), nil
	case []byte:
		return strconv.ParseUint(string(x), 10, 64)
	case string:
		return strconv.ParseUint(x, 10, 64)
	}
	return nil, fmt.Errorf("unsigned column: unexpected driver value %T", v)
}

// convFloat32 turns a FLOAT into the float64 nearest its shortest decimal
// text, so that 0.1 stays 0.1 and not 0.10000000149011612.
func convFloat32(v any) (any, error) {
	var f float32
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float32:
		f = x
	case float64:
		f = float32(x)
	default:
		return nil, fmt.Errorf("float column: unexpected driver value %T", v)
	}
	return strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
}

func convFloat64(v any) (any, error) {
	switch x := v.(type) {
	case nil, float64:
		return v, nil
	case float32:
		return convFloat32(x)
	}
	return nil, fmt.Errorf("double column: unexpected driver value %T", v)
}

// convBit reads BIT(n)'s big-endian bytes as a number: int64, or uint64
// for a BIT(64) with its top bit set.
func convBit(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64:
		return v, nil
	case []byte:
		var n uint64
		for _, b := range x {
			n = n<<8 | uint64(b)
		}
		if n > math.MaxInt64 {
			return n, nil
		}
		return int64(n), nil
	}
	return nil, fmt.Errorf("bit column: unexpected driver value %T", v)
}

func convText(v any) (any, error) {
	switch x := v.(type) {
	case nil, string:
		return v, nil
	case []byte:
		return string(x), nil
	}
	return nil, fmt.Errorf("text column: unexpected driver value %T", v)
}

func convBytes(v any) (any, error) {
	switch x := v.(type) {
	case nil, []byte:
		return v, nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("binary column: unexpected driver value %T", v)
}

// convTime insists on time.Time: bytes mean the pool was opened without
// parseTime, and text dates would not compare as times.
func convTime(v any) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
	}
	return nil, fmt.Errorf("date/time column: driver gave %T; open the pool with mysql.OpenDB (parseTime=true, loc=UTC)", v)
}
