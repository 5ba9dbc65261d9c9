package discover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Options say what Discover reads and how it names what it writes.
type Options struct {
	// Connection is the source connection's name in syncd.yaml.
	Connection string
	// Schema is the schema (the database on MySQL) to read; "" is the
	// connection's own.
	Schema string
	// Include and Exclude are globs (path.Match, case-insensitive) on the
	// table's name, matched against both "table" and "schema.table". With
	// Include set, only matching tables are read; Exclude wins.
	Include, Exclude []string
	// Prefix goes before each target table's name; Lower lower-cases it.
	Prefix string
	Lower  bool
	// Dir is where the declarations are written; Declared is every
	// directory whose declarations count as already declared.
	Dir      string
	Declared []string
	// Target is the target connection to write, "" to leave it to
	// syncd.yaml's target.
	Target string
	// DryRun writes nothing; Force overwrites a file that exists.
	DryRun, Force bool
}

// Outcomes of one table.
const (
	Written  = "written"
	WouldBe  = "would write"
	Skipped  = "skipped"
	Declared = "declared"
)

// Table is Discover's outcome for one source table.
type Table struct {
	Choice
	Name        string // the declaration's name
	TargetTable string
	File        string
	Outcome     string
	// DeclaredIn is the file that already declares the table.
	DeclaredIn string
}

// Discoverer is what Discover needs of a dialect: quoting, the catalog of
// one table and the list of a schema's tables.
type Discoverer interface {
	datasync.Dialect
	datasync.Cataloger
	datasync.Lister
}

// Discover reads the catalog of the source db and writes one declaration
// per table that can be synced (unless opt.DryRun), skipping the others
// with the reason. cfg supplies the defaults and the declarations already
// written.
func Discover(ctx context.Context, db *sql.DB, d Discoverer, cfg *tables.Config, opt Options) ([]Table, error) {
	if opt.Target == "" && cfg.Target == "" {
		return nil, fmt.Errorf("no target connection: set target in %s or name one with --target", cfg.File)
	}
	entries, err := d.ListTables(ctx, db, opt.Schema)
	if err != nil {
		return nil, err
	}
	entries = slices.DeleteFunc(entries, func(e datasync.TableEntry) bool { return !opt.wants(e.Name) })
	declared, err := declaredTables(cfg, opt)
	if err != nil {
		return nil, err
	}
	median := medianRows(entries)
	var out []Table
	names := map[string]bool{}
	for _, e := range entries {
		if f, ok := lookup(declared, e.Name); ok {
			out = append(out, Table{Choice: Choice{Entry: e}, Outcome: Declared, DeclaredIn: f})
			continue
		}
		t, info, err := describe(ctx, db, d, e)
		if err != nil {
			return out, err
		}
		if t.Skip == "" {
			t.warn(info, quoter(d), median)
			t.name(opt, names)
		}
		out = append(out, t)
	}
	return out, writeAll(out, cfg, opt)
}

// wants reports whether opt's globs select the table id.
func (opt Options) wants(id tables.Ident) bool {
	names := []string{strings.ToLower(id.Name()), strings.ToLower(id.String())}
	match := func(globs []string) bool {
		for _, g := range globs {
			for _, n := range names {
				if ok, _ := path.Match(strings.ToLower(g), n); ok {
					return true
				}
			}
		}
		return false
	}
	if len(opt.Include) > 0 && !match(opt.Include) {
		return false
	}
	return !match(opt.Exclude)
}

// CheckGlobs reports a glob that path.Match refuses.
func CheckGlobs(globs ...string) error {
	var errs []error
	for _, g := range globs {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("glob %q: %w", g, err))
		}
	}
	return errors.Join(errs...)
}

func quoter(d datasync.Dialect) func(parts ...string) string {
	return func(parts ...string) string { return d.Quote(tables.Ident{Parts: parts}) }
}

func medianRows(entries []datasync.TableEntry) int64 {
	var rows []int64
	for _, e := range entries {
		if !e.View && e.Rows >= 0 {
			rows = append(rows, e.Rows)
		}
	}
	if len(rows) == 0 {
		return 0
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i] < rows[j] })
	return rows[len(rows)/2]
}

// sourceKey is how a source table is recognised across spellings: its
// last two name parts, lower-cased (the database of a three-part
// SQL Server name is the connection's in practice).
func sourceKey(id tables.Ident) string {
	p := id.Parts
	if len(p) > 2 {
		p = p[len(p)-2:]
	}
	return strings.ToLower(strings.Join(p, "."))
}

// Counts are how many tables had each outcome.
type Counts struct{ Written, Skipped, Declared int }

// Count counts the outcomes of ts; a dry run's "would write" counts as
// written.
func Count(ts []Table) Counts {
	var c Counts
	for _, t := range ts {
		switch t.Outcome {
		case Written, WouldBe:
			c.Written++
		case Skipped:
			c.Skipped++
		case Declared:
			c.Declared++
		}
	}
	return c
}

// describe reads the catalog of the table e and chooses its key and
// cursor. One table whose catalog cannot be read (no privilege on it, a
// name the server garbles) is skipped with the reason; a source that
// stopped answering ends the whole discover with the error.
func describe(ctx context.Context, db *sql.DB, d Discoverer, e datasync.TableEntry) (Table, datasync.TableInfo, error) {
	t := Table{Choice: Choice{Entry: e}}
	info, err := d.Describe(ctx, db, e.Name)
	if err != nil {
		if perr := db.PingContext(ctx); perr != nil || ctx.Err() != nil {
			return t, info, fmt.Errorf("describe %s: %w", e.Name, err)
		}
		t.Skip = SkipUnreadable + ": " + err.Error()
		return t, info, nil
	}
	if len(info.Columns) == 0 {
		// The login sees the table but none of its columns.
		t.Skip = SkipUnreadable
		return t, info, nil
	}
	t.Choice = choose(e, info)
	return t, info, nil
}
