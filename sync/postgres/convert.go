package postgres

import (
	"fmt"
	"strconv"
	"time"
)

// The converters below turn what pgx's stdlib hands database/sql into the
// portable values of datasync.Row. Each passes NULL (nil) through.

// portable passes values that are already portable and refuses the rest,
// so that a driver change shows up as an error, not as a silent new type.
func portable(v any) (any, error) {
	switch v.(type) {
	case nil, int64, float64, string, []byte:
		return v, nil
	case time.Time:
		return wallClock(v)
	}
	return nil, fmt.Errorf("unexpected driver value %T", v)
}

// boolToInt gives bool as 0 or 1, as bit columns are written.
func boolToInt(v any) (any, error) {
	switch b := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return nil, fmt.Errorf("bool column: unexpected driver value %T", v)
}

// float4ToFloat undoes the widening of a float4 to float64: the value
// becomes the float64 nearest the float4's shortest decimal text, so that
// 0.1 stays 0.1 and not 0.10000000149011612.
func float4ToFloat(v any) (any, error) {
	var f float32
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		f = float32(x)
	case float32:
		f = x
	default:
		return nil, fmt.Errorf("float4 column: unexpected driver value %T", v)
	}
	return strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
}

// numericText insists on the exact text of a numeric: a float64 would
// have lost digits already.
func numericText(v any) (any, error) {
	switch x := v.(type) {
	case nil, string:
		return v, nil
	case []byte:
		return string(x), nil
	}
	return nil, fmt.Errorf("numeric column: driver gave %T, not the exact text", v)
}

// wallClock gives a zoneless time (timestamp, date) as its wall clock in
// time.UTC. Text ("infinity") passes through.
func wallClock(v any) (any, error) {
	switch t := v.(type) {
	case nil, string:
		return v, nil
	case time.Time:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
	}
	return nil, fmt.Errorf("timestamp column: unexpected driver value %T", v)
}

// instant gives a timestamptz as the same instant in time.UTC; pgx hands
// it over in time.Local, which depends on the machine syncd runs on.
func instant(v any) (any, error) {
	switch t := v.(type) {
	case nil, string:
		return v, nil
	case time.Time:
		return t.UTC(), nil
	}
	return nil, fmt.Errorf("timestamptz column: unexpected driver value %T", v)
}

// bytesToText gives json, jsonb and xml, which pgx hands over as bytes, as
// the text they are.
func bytesToText(v any) (any, error) {
	switch x := v.(type) {
	case nil, string:
		return v, nil
	case []byte:
		return string(x), nil
	}
	return nil, fmt.Errorf("json column: unexpected driver value %T", v)
}
