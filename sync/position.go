package datasync

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Position is how far a table has been read in (cursor, key) order.
//
//   - The zero Position (Cursor nil) means nothing has been read: an initial
//     load, its own state rather than a 1970 sentinel.
//   - Cursor set and Key nil means "from Cursor on, inclusive": where a run
//     starts after a rewind or with an overlap.
//   - Cursor and Key set means "strictly after this row".
type Position struct {
	Cursor any
	Key    []any
}

// IsZero reports whether p is the start of an initial load.
func (p Position) IsZero() bool { return p.Cursor == nil }

// String renders p for logs and the run log.
func (p Position) String() string {
	if p.IsZero() {
		return "(initial load)"
	}
	c, _ := EncodeValue(p.Cursor)
	if p.Key == nil {
		return c + " (inclusive)"
	}
	k, _ := EncodeKey(p.Key)
	return c + " " + k
}

// EncodeValue renders a portable value as text that DecodeValue turns back
// into the same value, with nothing lost: times keep every nanosecond and
// their offset, integers every digit. A type tag leads the text so that the
// value comes back with its type.
func EncodeValue(v any) (string, error) {
	switch x := v.(type) {
	case int64:
		return "i:" + strconv.FormatInt(x, 10), nil
	case uint64:
		return "u:" + strconv.FormatUint(x, 10), nil
	case float64:
		return "f:" + strconv.FormatFloat(x, 'g', -1, 64), nil
	case string:
		return "s:" + x, nil
	case []byte:
		return "b:" + base64.StdEncoding.EncodeToString(x), nil
	case time.Time:
		return "t:" + x.Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("encode value: unsupported type %T", v)
}

// DecodeValue is the inverse of EncodeValue.
func DecodeValue(s string) (any, error) {
	tag, body, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("decode value %q: no type tag", s)
	}
	var v any
	var err error
	switch tag {
	case "i":
		v, err = strconv.ParseInt(body, 10, 64)
	case "u":
		v, err = strconv.ParseUint(body, 10, 64)
	case "f":
		v, err = strconv.ParseFloat(body, 64)
	case "s":
		v = body
	case "b":
		v, err = base64.StdEncoding.DecodeString(body)
	case "t":
		v, err = decodeTime(body)
	default:
		err = fmt.Errorf("unknown type tag %q", tag)
	}
	if err != nil {
		return nil, fmt.Errorf("decode value %q: %w", s, err)
	}
	return v, nil
}

// decodeTime parses RFC 3339 and gives UTC times back in time.UTC, so that
// a decoded value is identical to the one the source handed out.
func decodeTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	if _, off := t.Zone(); off == 0 {
		t = t.UTC()
	}
	return t, nil
}

// EncodeKey renders key values as a JSON array of encoded values.
func EncodeKey(key []any) (string, error) {
	parts := make([]string, len(key))
	for i, v := range key {
		s, err := EncodeValue(v)
		if err != nil {
			return "", fmt.Errorf("key part %d: %w", i+1, err)
		}
		parts[i] = s
	}
	b, err := json.Marshal(parts)
	return string(b), err
}

// DecodeKey is the inverse of EncodeKey.
func DecodeKey(s string) ([]any, error) {
	var parts []string
	if err := json.Unmarshal([]byte(s), &parts); err != nil {
		return nil, fmt.Errorf("decode key %q: %w", s, err)
	}
	key := make([]any, len(parts))
	for i, p := range parts {
		v, err := DecodeValue(p)
		if err != nil {
			return nil, err
		}
		key[i] = v
	}
	return key, nil
}

// EncodePosition renders p as the two texts the state table keeps; a nil
// string means SQL NULL.
func EncodePosition(p Position) (cursor, key *string, err error) {
	if p.IsZero() {
		return nil, nil, nil
	}
	c, err := EncodeValue(p.Cursor)
	if err != nil {
		return nil, nil, fmt.Errorf("cursor: %w", err)
	}
	if p.Key == nil {
		return &c, nil, nil
	}
	k, err := EncodeKey(p.Key)
	if err != nil {
		return nil, nil, err
	}
	return &c, &k, nil
}

// DecodePosition is the inverse of EncodePosition.
func DecodePosition(cursor, key *string) (Position, error) {
	if cursor == nil {
		return Position{}, nil
	}
	c, err := DecodeValue(*cursor)
	if err != nil {
		return Position{}, err
	}
	p := Position{Cursor: c}
	if key != nil {
		if p.Key, err = DecodeKey(*key); err != nil {
			return Position{}, err
		}
	}
	return p, nil
}
