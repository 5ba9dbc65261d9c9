package tables

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// envPrefix starts every environment variable that overrides syncd.yaml.
const envPrefix = "SYNCD_"

// envMapper turns SYNCD_ variables into config keys. Keys hold
// underscores themselves (batch_size, dsn_file), so a name is matched
// against the keys syncd.yaml set and the keys Config has, rather than
// split at every '_'.
type envMapper struct {
	loaded []string // keys the YAML set: connections.erp.dsn
	schema []string // keys Config has, * for a map entry: connections.*.dsn
	errs   []error  // SYNCD_ variables for a section of ours that match no key
}

func newEnvMapper(loaded []string) *envMapper {
	return &envMapper{loaded: loaded, schema: schemaKeys(reflect.TypeFor[Config](), "")}
}

// transform is the env provider's TransformFunc: it returns the key the
// variable sets, or "" to skip it. Variables outside our sections (SYNCD_CONFIG,
// SYNCD_TEST_MSSQL_DSN) belong to other parts of syncd and are skipped;
// ones inside that match nothing are typos, recorded in m.errs.
func (m *envMapper) transform(name, value string) (string, any) {
	s := strings.ToLower(strings.TrimPrefix(name, envPrefix))
	if key, ok := m.key(s); ok {
		return key, value
	}
	if m.ours(s) {
		m.errs = append(m.errs, fmt.Errorf("%s: %w (%s)", name, ErrUnknownKey, suggest(name, m.names())))
	}
	return "", nil
}

// key finds the config key for s, a variable name without the prefix,
// lower-cased: first among the keys loaded, then among Config's keys.
func (m *envMapper) key(s string) (string, bool) {
	for _, k := range m.loaded {
		if underscored(k) == s {
			return k, true
		}
	}
	for _, p := range m.schema {
		if k, ok := m.matchSchema(p, s); ok {
			return k, true
		}
	}
	return "", false
}

// matchSchema matches s against one of Config's keys, where a * stands for
// a connection name: connections_erp2_dsn_file is connections.erp2.dsn_file.
func (m *envMapper) matchSchema(p, s string) (string, bool) {
	before, after, wild := strings.Cut(p, "*")
	if !wild {
		return p, underscored(p) == s
	}
	b, a := underscored(before), underscored(after)
	if len(s) <= len(b)+len(a) || !strings.HasPrefix(s, b) || !strings.HasSuffix(s, a) {
		return "", false
	}
	return before + m.existingName(before, s[len(b):len(s)-len(a)]) + after, true
}

// existingName returns the spelling the YAML gave a map entry named name
// under prefix (ERP for erp), so a variable adds to it instead of making a
// second entry that differs only in case.
func (m *envMapper) existingName(prefix, name string) string {
	for _, k := range m.loaded {
		rest, ok := strings.CutPrefix(k, prefix)
		if seg, _, _ := strings.Cut(rest, "."); ok && strings.EqualFold(seg, name) {
			return seg
		}
	}
	return name
}

// ours reports whether s falls in a top-level section of Config.
func (m *envMapper) ours(s string) bool {
	for top := range koanfFields(reflect.TypeFor[Config]()) {
		if s == top || strings.HasPrefix(s, top+"_") {
			return true
		}
	}
	return false
}

// names lists the variable names that would set a known key, for
// suggestions.
func (m *envMapper) names() []string {
	var out []string
	for _, k := range append(slices.Clone(m.loaded), m.schema...) {
		if !strings.Contains(k, "*") {
			out = append(out, envPrefix+strings.ToUpper(underscored(k)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// underscored writes a key the way a variable spells it, less the prefix.
func underscored(key string) string {
	return strings.ToLower(strings.ReplaceAll(key, ".", "_"))
}

// schemaKeys lists the leaf keys of t, with * for the name of a map entry.
func schemaKeys(t reflect.Type, prefix string) []string {
	fields := koanfFields(t)
	var out []string
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		ft := fields[name]
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, schemaKeys(ft, prefix+name+".")...)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			out = append(out, schemaKeys(ft.Elem(), prefix+name+".*.")...)
		default:
			out = append(out, prefix+name)
		}
	}
	return out
}
