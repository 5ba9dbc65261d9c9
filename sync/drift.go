package datasync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	"github.com/syncd/syncd/tables"
)

// ErrSchemaChanged is wrapped by the error of a run that stopped because
// the source's columns changed: one that was read is gone or has another
// type, or a new one has no place in the target.
var ErrSchemaChanged = errors.New("source schema changed")

// SchemaSource is implemented by sources that can give the columns they
// read with their declared types (from the catalog where there is one),
// and the MySQL type that holds each; Run compares them with the ones the
// target kept from the run before.
type SchemaSource interface {
	TypeMapper
	// Schema returns the columns Columns returns, in that order, typed.
	Schema(ctx context.Context) ([]ColumnInfo, error)
}

// SchemaTarget is implemented by targets that keep the source columns a
// table was last read with, and can add columns to the table.
type SchemaTarget interface {
	// SeenColumns returns the columns KeepColumns last stored for table,
	// each with its Declared type as Type; nil when none were stored.
	SeenColumns(ctx context.Context, table string) ([]ColumnInfo, error)
	// KeepColumns stores cols for st's table while st.Version is still the
	// table's version; otherwise it returns ErrFenced.
	KeepColumns(ctx context.Context, st State, cols []ColumnInfo) error
	// AddColumns adds to the target table those of cols it lacks, each
	// NULL, and returns the names it added.
	AddColumns(ctx context.Context, cols []ColumnDef) ([]string, error)
}

// Drift is what changed between the source columns seen by the last run
// and the ones read now.
type Drift struct {
	Added   []ColumnInfo
	Removed []ColumnInfo
	// Retyped pairs each changed column's old (From) and new (To) form.
	Retyped []Retype
}

// Retype is one column whose declared type changed.
type Retype struct{ From, To ColumnInfo }

// Empty reports whether nothing changed.
func (d Drift) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Retyped) == 0 }

// CompareColumns returns the drift from seen to now. Names compare
// ignoring case, types by their Declared form.
func CompareColumns(seen, now []ColumnInfo) Drift {
	var d Drift
	old := make(map[string]ColumnInfo, len(seen))
	for _, c := range seen {
		old[strings.ToLower(c.Name)] = c
	}
	cur := make(map[string]bool, len(now))
	for _, c := range now {
		cur[strings.ToLower(c.Name)] = true
		o, ok := old[strings.ToLower(c.Name)]
		switch {
		case !ok:
			d.Added = append(d.Added, c)
		case !strings.EqualFold(o.Declared(), c.Declared()):
			d.Retyped = append(d.Retyped, Retype{From: o, To: c})
		}
	}
	for _, c := range seen {
		if !cur[strings.ToLower(c.Name)] {
			d.Removed = append(d.Removed, c)
		}
	}
	return d
}

// Blocking returns the changes that stop a run of a table whose
// target.evolve is evolve: all but the new columns evolve adds.
func (d Drift) Blocking(evolve string) Drift {
	stop := Drift{Removed: d.Removed, Retyped: d.Retyped}
	if evolve != tables.EvolveAddColumns {
		stop.Added = d.Added
	}
	return stop
}

// String lists the changes, one clause each.
func (d Drift) String() string {
	var parts []string
	for _, c := range d.Added {
		parts = append(parts, fmt.Sprintf("column %s (%s) is new", c.Name, c.Declared()))
	}
	for _, c := range d.Removed {
		parts = append(parts, fmt.Sprintf("column %s (%s) was removed", c.Name, c.Declared()))
	}
	for _, r := range d.Retyped {
		parts = append(parts, fmt.Sprintf("column %s changed type from %s to %s", r.To.Name, r.From.Declared(), r.To.Declared()))
	}
	return strings.Join(parts, "; ")
}

// checkSchema compares the source's columns with the ones the target kept
// from the last run, before anything is read. A removed or retyped column
// stops the run: writing on would put wrong data in the target or leave a
// column silently stale. A new column stops it too, unless target.evolve
// adds it. With accept, every change is taken as it is. It returns a note
// for the run log when something changed.
func checkSchema(ctx context.Context, o Options, st State, log zerolog.Logger) (string, error) {
	ss, tk, err := needSchema(o)
	if err != nil {
		return "", err
	}
	now, err := ss.Schema(ctx)
	if err != nil {
		return "", fmt.Errorf("read source columns of %s: %w", o.Table.Name, err)
	}
	seen, err := tk.SeenColumns(ctx, o.Table.Name)
	if err != nil {
		return "", fmt.Errorf("read kept source columns of %s: %w", o.Table.Name, err)
	}
	d := CompareColumns(seen, now)
	if seen != nil && d.Empty() {
		return "", nil
	}
	note := ""
	if seen != nil {
		note = "source schema: " + d.String()
		log.Warn().Str("drift", d.String()).Bool("accepted", o.AcceptSchema).Msg("source schema changed")
		if err := refuseDrift(o, d); err != nil {
			return note, err
		}
		if added, err := evolve(ctx, o, ss, tk, d); err != nil {
			return note, err
		} else if len(added) > 0 {
			note += "; added to " + o.Table.Target.Table + ": " + strings.Join(added, ", ")
		}
	}
	if err := tk.KeepColumns(ctx, st, now); err != nil {
		return note, fmt.Errorf("keep source columns of %s: %w", o.Table.Name, err)
	}
	return note, nil
}

// refuseDrift returns the error that stops a run for d, or nil when the
// run may go on.
func refuseDrift(o Options, d Drift) error {
	if o.AcceptSchema {
		return nil
	}
	stop := d.Blocking(o.Table.Target.Evolve)
	if stop.Empty() {
		return nil
	}
	how := "make the target table " + o.Table.Target.Table + " match (ALTER TABLE), then accept the change with: syncd sync " +
		o.Table.Name + " --accept-schema"
	if len(stop.Added) > 0 {
		how += "; or set target.evolve: add_columns to have new columns added; or list the columns to sync in target.columns"
	}
	return fmt.Errorf("%s: %w: %s: nothing was written; %s", o.Table.Name, ErrSchemaChanged, stop, how)
}

// evolve adds the new columns to the target when target.evolve says so.
func evolve(ctx context.Context, o Options, ss SchemaSource, tk SchemaTarget, d Drift) ([]string, error) {
	if o.Table.Target.Evolve != tables.EvolveAddColumns || len(d.Added) == 0 {
		return nil, nil
	}
	defs := make([]ColumnDef, 0, len(d.Added))
	idx := ColumnIndex(o.Source.Columns())
	for _, c := range d.Added {
		typ, err := ss.MySQLType(c, false)
		if err != nil {
			return nil, fmt.Errorf("%s: add column %s (%s) to the target: %w", o.Table.Name, c.Name, c.Declared(), err)
		}
		// The target columns fed by it, under their target.columns names.
		i, _ := idx.Find(c.Name)
		for j, from := range o.Mapping.From {
			if from == i {
				defs = append(defs, ColumnDef{Name: o.Mapping.Columns[j], Type: typ, Nullable: true, Source: c})
			}
		}
	}
	added, err := tk.AddColumns(ctx, defs)
	if err != nil {
		return nil, fmt.Errorf("%s: add columns to %s: %w", o.Table.Name, o.Table.Target.Table, err)
	}
	return added, nil
}
