package tables

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// unknownKeys reports every key of raw (a YAML mapping decoded into a
// struct of type t) that t has no field for, naming the nearest valid key.
// prefix is the path of raw in the file, ending in '.' when not empty.
func unknownKeys(file string, raw map[string]any, t reflect.Type, prefix string) []error {
	fields := koanfFields(t)
	names := slices.Sorted(maps.Keys(fields))
	var out []error
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		ft, ok := fields[strings.ToLower(key)]
		if !ok {
			out = append(out, fmt.Errorf("%s: %s%s: %w (%s)", file, prefix, key, ErrUnknownKey, suggest(key, names)))
			continue
		}
		out = append(out, unknownNested(file, raw[key], ft, prefix+key+".")...)
	}
	return out
}

// unknownNested descends into a value that decodes into a struct, or into
// a map of structs (the connections of syncd.yaml).
func unknownNested(file string, v any, t reflect.Type, prefix string) []error {
	m, ok := v.(map[string]any)
	if !ok {
		return nil // a wrong shape is for decode to report
	}
	switch {
	case t.Kind() == reflect.Struct:
		return unknownKeys(file, m, t, prefix)
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Struct:
		var out []error
		for _, name := range slices.Sorted(maps.Keys(m)) {
			out = append(out, unknownNested(file, m[name], t.Elem(), prefix+name+".")...)
		}
		return out
	}
	return nil
}

// koanfFields maps the lower-cased koanf tag of each field of t to the
// field's type. Matching is case-insensitive, as mapstructure's is.
func koanfFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out[strings.ToLower(name)] = f.Type
		}
	}
	return out
}

// suggest names the valid key nearest to key when it is likely a typo,
// and lists every valid key otherwise.
func suggest(key string, names []string) string {
	best, bestDist := "", 3 // more than 2 edits away is not a typo
	for _, n := range names {
		if d := editDistance(strings.ToLower(key), strings.ToLower(n)); d < bestDist && d < len(n) {
			best, bestDist = n, d
		}
	}
	if best != "" {
		return "did you mean " + best + "?"
	}
	return "allowed: " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
