package discover

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/syncd/syncd/tables"
)

// declaredTables maps the source tables of opt.Connection already declared
// in opt.Declared (broken files count: their author meant them) to the
// file declaring each. A one-part source name is keyed "*.name".
func declaredTables(cfg *tables.Config, opt Options) (map[string]string, error) {
	out := map[string]string{}
	for _, dir := range opt.Declared {
		files, err := tables.LoadDir(dir, cfg)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			s := f.Table.Source
			if !strings.EqualFold(s.Connection, opt.Connection) || s.Table == "" {
				continue
			}
			id, err := tables.ParseIdent(s.Table, 3)
			if err != nil {
				continue
			}
			key := sourceKey(id)
			if len(id.Parts) == 1 {
				key = "*." + key
			}
			out[key] = f.Path
		}
	}
	return out, nil
}

// lookup finds the file declaring id, under its full or its bare name.
func lookup(declared map[string]string, id tables.Ident) (string, bool) {
	if f, ok := declared[sourceKey(id)]; ok {
		return f, true
	}
	f, ok := declared["*."+strings.ToLower(id.Name())]
	return f, ok
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// name sets the declaration's name, the target table and the file: the
// source table's name with every run of other characters than letters,
// digits and _ made one _, prefixed and lower-cased as opt says; a name
// already taken in this run gets the schema in front, then a number.
func (t *Table) name(opt Options, taken map[string]bool) {
	base := strings.Trim(notNameChar.ReplaceAllString(t.Entry.Name.Name(), "_"), "_")
	if base == "" {
		base = "table"
	}
	n := opt.Prefix + base
	if opt.Lower {
		n = strings.ToLower(n)
	}
	if taken[strings.ToLower(n)] && len(t.Entry.Name.Parts) > 1 {
		n = notNameChar.ReplaceAllString(t.Entry.Name.Parts[0], "_") + "_" + n
	}
	n = letterFirst(n)
	for i := 2; taken[strings.ToLower(n)]; i++ {
		n = fmt.Sprintf("%s_%d", strings.TrimSuffix(n, fmt.Sprintf("_%d", i-1)), i)
	}
	if len(n) > 64 {
		n = n[:64]
	}
	taken[strings.ToLower(n)] = true
	t.Name, t.TargetTable = n, n
	t.File = filepath.Join(opt.Dir, n+".yaml")
}

// letterFirst puts t_ before a name that starts with a digit ("1st
// table", or "客户订单 2" whose letters are all made _): a declaration's
// name and target.table must start with a letter or _, and check refuses
// the file otherwise.
func letterFirst(n string) string {
	if n != "" && n[0] >= '0' && n[0] <= '9' {
		return "t_" + n
	}
	return n
}

// writeAll writes the declaration of every table chosen, never over an
// existing file without opt.Force.
func writeAll(ts []Table, cfg *tables.Config, opt Options) error {
	if !opt.DryRun && opt.Dir != "" {
		if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", opt.Dir, err)
		}
	}
	var errs []error
	for i := range ts {
		t := &ts[i]
		switch {
		case t.Outcome != "":
		case t.Skip != "":
			t.Outcome = Skipped
		case opt.DryRun:
			t.Outcome = WouldBe
		default:
			errs = append(errs, t.write(opt))
		}
	}
	return errors.Join(errs...)
}

// write writes the declaration whole or not at all: into a hidden file
// (which no loader reads) that is then linked to its name, so that a
// running syncd that reloads tables_dir never sees half a file, and an
// existing file is never replaced (a link does not overwrite) unless
// opt.Force renames over it.
func (t *Table) write(opt Options) error {
	tmp := filepath.Join(filepath.Dir(t.File), "."+filepath.Base(t.File)+".tmp")
	if err := os.WriteFile(tmp, []byte(t.YAML(opt)), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	defer func() { _ = os.Remove(tmp) }() // gone after a link; after a rename already
	var err error
	if opt.Force {
		err = os.Rename(tmp, t.File)
	} else {
		err = os.Link(tmp, t.File)
	}
	if errors.Is(err, os.ErrExist) {
		t.Outcome, t.Skip = Skipped, "file "+t.File+" exists and declares another table (--force overwrites it)"
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", t.File, err)
	}
	t.Outcome = Written
	return nil
}

// YAML renders the declaration: only what syncd.yaml's defaults do not
// give, with the reasons for the choices as comments.
func (t *Table) YAML(opt Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by syncd discover from %s.\n", opt.Connection)
	fmt.Fprintf(&b, "# key: %s; cursor: %s.\n", t.KeyWhy, t.CursorWhy)
	for _, w := range t.Warnings {
		fmt.Fprintf(&b, "# %s: %s\n", w.Kind, w.Text)
	}
	fmt.Fprintf(&b, "name: %s\nsource:\n  connection: %s\n  table: %s\n", q(t.Name), q(opt.Connection), q(sourceName(t.Entry.Name)))
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = q(k)
	}
	fmt.Fprintf(&b, "  key: [%s]\n  cursor: %s\ntarget:\n", strings.Join(keys, ", "), q(t.Cursor))
	if opt.Target != "" {
		fmt.Fprintf(&b, "  connection: %s\n", q(opt.Target))
	}
	fmt.Fprintf(&b, "  table: %s\n  create: true\n", q(t.TargetTable))
	return b.String()
}

// q renders s as a YAML double-quoted scalar (JSON's string syntax is
// YAML's), so that no name is read as a number, a bool or a comment.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// identPart writes one identifier as tables.ParseIdent reads it: plain
// when it can be, else in double quotes with a doubled quote inside.
func identPart(s string) string {
	if Declarable(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func sourceName(id tables.Ident) string {
	parts := make([]string, len(id.Parts))
	for i, p := range id.Parts {
		parts[i] = identPart(p)
	}
	return strings.Join(parts, ".")
}
