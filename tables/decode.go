package tables

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/v2"
)

// decode unmarshals everything k holds into out (a *Config or *Table) and
// reports, as "file: field: problem", every unknown key and every value of
// the wrong type. It returns the keys it set (defaults.settle), so
// defaults go only where the YAML said nothing: "settle: 0s" is a choice.
func decode(k *koanf.Koanf, out any, file string) (map[string]bool, error) {
	root := reflect.TypeOf(out).Elem()
	unknown := unknownKeys(file, k.Raw(), root, "")
	var md mapstructure.Metadata
	dc := &mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook, wholeNumberHook, boolTextHook, mapstructure.TextUnmarshallerHookFunc()),
		WeaklyTypedInput: true, // YAML "500" for an int, a single key for a list
		// unknownKeys already named the unknown keys with a suggestion;
		// mapstructure's own check stays on as the backstop otherwise.
		ErrorUnused: len(unknown) == 0,
		Metadata:    &md,
		TagName:     "koanf",
	}
	err := k.UnmarshalWithConf("", out, koanf.UnmarshalConf{DecoderConfig: dc})
	set := make(map[string]bool, len(md.Keys))
	for _, key := range md.Keys {
		set[key] = true
	}
	return set, errors.Join(append(unknown, decodeErrors(file, err, k, root)...)...)
}

var durationType = reflect.TypeFor[time.Duration]()

// durationHook parses durations like mapstructure's
// StringToTimeDurationHookFunc, with an error that says what is allowed,
// and refuses bare numbers: weak typing would read "settle: 5" as 5ns.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	const want = "a duration like 30s, 5m or 1h30m"
	switch {
	case from == durationType:
		return data, nil
	case from.Kind() == reflect.String:
		d, err := parseDuration(reflect.ValueOf(data).String())
		if err != nil {
			return nil, &valueError{value: data, want: want}
		}
		return d, nil
	case isZeroNumber(data):
		return time.Duration(0), nil
	}
	return nil, &valueError{value: data, want: want}
}

// parseDuration is time.ParseDuration that also takes whole days ("30d"),
// the unit a retention is said in.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 && days <= 100000 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// wholeNumberHook refuses a fraction for an integer field, which weak
// typing would cut silently: "batch_size: 1.5" is not 1.
func wholeNumberHook(from, to reflect.Type, data any) (any, error) {
	x := reflect.ValueOf(data)
	if to.Kind() >= reflect.Int && to.Kind() <= reflect.Uint64 && to != durationType && x.CanFloat() && x.Float() != math.Trunc(x.Float()) {
		return nil, &valueError{value: data, want: "a whole number"}
	}
	return data, nil
}

// boolTextHook reads a YAML boolean given for a text field as its word:
// weak typing would make "encrypt: true" the text "1".
func boolTextHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() == reflect.Bool && to.Kind() == reflect.String {
		return strconv.FormatBool(reflect.ValueOf(data).Bool()), nil
	}
	return data, nil
}

// isZeroNumber reports whether v is a number equal to zero.
func isZeroNumber(v any) bool {
	x := reflect.ValueOf(v)
	return x.CanInt() && x.Int() == 0 || x.CanUint() && x.Uint() == 0 || x.CanFloat() && x.Float() == 0
}

// valueError is a value of the wrong type or form.
type valueError struct {
	value any
	want  string
}

func (e *valueError) Error() string {
	if e.value == nil {
		return fmt.Sprintf("%v (allowed: %s)", ErrBadValue, e.want)
	}
	return fmt.Sprintf("%v %s (allowed: %s)", ErrBadValue, showValue(e.value), e.want)
}

func (e *valueError) Unwrap() error { return ErrBadValue }

// decodeErrors turns mapstructure's error tree into one message per
// field. k and root (the type decoded into) fill in what mapstructure's
// own message leaves out.
func decodeErrors(file string, err error, k *koanf.Koanf, root reflect.Type) []error {
	if err == nil {
		return nil
	}
	var out []error
	for _, de := range decodeLeaves(err) {
		path := fieldPath(de.Name())
		why := explain(de.Unwrap())
		if t := typeAt(root, de.Name()); t != nil && !errors.As(why, new(*valueError)) {
			why = &valueError{value: k.Get(path), want: describeType(t)}
		}
		out = append(out, fmt.Errorf("%s: %s: %w", file, path, why))
	}
	if len(out) == 0 {
		return []error{fmt.Errorf("%s: %w", file, err)}
	}
	// mapstructure walks maps in random order; keep messages stable.
	slices.SortFunc(out, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return out
}

// decodeLeaves returns the innermost DecodeErrors: those that name the
// field at fault rather than the struct around it.
func decodeLeaves(err error) []*mapstructure.DecodeError {
	var out []*mapstructure.DecodeError
	switch e := err.(type) {
	case *mapstructure.DecodeError:
		if out = decodeLeaves(e.Unwrap()); len(out) == 0 {
			out = []*mapstructure.DecodeError{e}
		}
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			out = append(out, decodeLeaves(inner)...)
		}
	case interface{ Unwrap() error }:
		out = decodeLeaves(e.Unwrap())
	}
	return out
}

// explain rewords one mapstructure failure for someone editing YAML.
func explain(err error) error {
	var ve *valueError
	var pe *mapstructure.ParseError
	var ue *mapstructure.UnconvertibleTypeError
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &pe):
		return &valueError{value: pe.Value, want: describeType(pe.Expected.Type())}
	case errors.As(err, &ue):
		return &valueError{value: ue.Value, want: describeType(ue.Expected.Type())}
	}
	return fmt.Errorf("%w: %v", ErrBadValue, err)
}

// describeType names what a field of type t takes, in YAML terms.
func describeType(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 30s, 5m or 1h30m"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Slice:
		return "a list like [a, b]"
	case t.Kind() == reflect.Struct:
		return "a mapping with keys " + strings.Join(slices.Sorted(maps.Keys(koanfFields(t))), ", ")
	}
	return "a mapping of name: value"
}

// typeAt returns the type of the field mapstructure names name
// (source.key[0], connections[erp].dsn) within root, or nil.
func typeAt(root reflect.Type, name string) reflect.Type {
	t := root
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '[' }) {
		if strings.HasSuffix(seg, "]") { // a list index or map key
			if t.Kind() != reflect.Map && t.Kind() != reflect.Slice {
				return nil
			}
			t = t.Elem()
			continue
		}
		ft, ok := koanfFields(t)[strings.ToLower(seg)]
		if t.Kind() != reflect.Struct || !ok {
			return nil
		}
		t = ft
	}
	return t
}

// showValue prints a YAML value briefly: a string quoted and cut short,
// a list or mapping by its kind only.
func showValue(v any) string {
	switch x := v.(type) {
	case string:
		if r := []rune(x); len(r) > 40 {
			x = string(r[:37]) + "..."
		}
		return fmt.Sprintf("%q", x)
	case map[string]any:
		return "(a mapping)"
	case []any:
		return "(a list)"
	}
	return fmt.Sprint(v)
}

// mapIndex matches mapstructure's [name] for a map entry in a field name.
var mapIndex = regexp.MustCompile(`\[([^\]]*[^0-9\]][^\]]*)\]`)

// fieldPath writes mapstructure's connections[erp].dsn as connections.erp.dsn,
// the way the YAML reads; list indexes stay as key[0].
func fieldPath(name string) string { return mapIndex.ReplaceAllString(name, ".$1") }
