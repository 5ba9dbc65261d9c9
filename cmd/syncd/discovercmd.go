package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/discover"
)

func newDiscover(g *globals) *cobra.Command {
	var opt discover.Options
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "discover CONNECTION",
		Short: "Write a declaration for each table of a source connection that can be synced",
		Long: `discover reads the catalog of a source connection and writes one declaration
per table into the tables directory (or --out): the key (the primary key, else
the narrowest unique index on NOT NULL columns), the cursor (a rowversion, else
the NOT NULL date-time column named as a modification time that leads an index,
else the identity column, append-only), target.create: true, and nothing that
syncd.yaml's defaults give. A table without a key or a cursor is skipped with
the reason. A table already declared from the same connection is left alone,
and no file is overwritten without --force: run it again to add new tables.
A running syncd run picks the new files up by itself.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := load(g)
			if err != nil {
				return err
			}
			if err := discover.CheckGlobs(append(opt.Include, opt.Exclude...)...); err != nil {
				return badConfig(err)
			}
			opt.Connection = args[0]
			opt.Declared = []string{a.cfg.TablesDir}
			if opt.Dir == "" {
				opt.Dir = a.cfg.TablesDir
			} else if opt.Dir != a.cfg.TablesDir {
				opt.Declared = append(opt.Declared, opt.Dir)
			}
			pools := connect.NewPools(a.cfg)
			defer pools.Close()
			ts, err := connect.Discover(cmd.Context(), pools, opt)
			if asJSON {
				if jerr := printDiscoverJSON(cmd.OutOrStdout(), ts); jerr != nil {
					return jerr
				}
			} else {
				printDiscover(cmd.OutOrStdout(), ts)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Schema, "schema", "", "schema to read (the database on MySQL; default: the connection's own)")
	f.StringSliceVar(&opt.Include, "include", nil, "only tables whose name or schema.name matches one of these globs")
	f.StringSliceVar(&opt.Exclude, "exclude", nil, "leave out tables whose name or schema.name matches one of these globs")
	f.StringVar(&opt.Dir, "out", "", "directory to write the declarations to (default: tables_dir of syncd.yaml)")
	f.StringVar(&opt.Prefix, "prefix", "", "prefix of each target table's (and declaration's) name")
	f.BoolVar(&opt.Lower, "lower", false, "lower-case the target table's (and declaration's) name")
	f.StringVar(&opt.Target, "target", "", "target connection to write in each declaration (default: left to target of syncd.yaml)")
	f.BoolVar(&opt.DryRun, "dry-run", false, "print what would be written, write nothing")
	f.BoolVar(&opt.Force, "force", false, "overwrite a file of the same name")
	f.BoolVar(&asJSON, "json", false, "print the outcome of each table as JSON")
	return cmd
}

// printDiscover prints one line per source table, the warnings in full
// below, and the counts.
func printDiscover(w io.Writer, ts []discover.Table) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE TABLE\tROWS\tKEY\tCURSOR\tOUTCOME\tWHY\tWARNINGS")
	var notes []string
	for _, t := range ts {
		var kinds []string
		for _, wn := range t.Warnings {
			kinds = append(kinds, wn.Kind)
			notes = append(notes, t.Entry.Name.String()+": "+wn.Kind+": "+wn.Text)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Entry.Name, rowsText(t.Entry.Rows), strings.Join(t.Key, ","),
			t.Cursor, t.Outcome, why(t), strings.Join(kinds, ", "))
	}
	_ = tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	c := discover.Count(ts)
	fmt.Fprintf(w, "%d written, %d skipped, %d already declared\n", c.Written, c.Skipped, c.Declared)
}

func why(t discover.Table) string {
	switch t.Outcome {
	case discover.Skipped:
		return t.Skip
	case discover.Declared:
		return "in " + t.DeclaredIn
	}
	return fmt.Sprintf("key: %s; cursor: %s -> %s", t.KeyWhy, t.CursorWhy, t.File)
}

func rowsText(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

// discoverLine is one table in --json output.
type discoverLine struct {
	Table      string             `json:"table"`
	View       bool               `json:"view,omitempty"`
	Rows       int64              `json:"estimated_rows"`
	Outcome    string             `json:"outcome"`
	Name       string             `json:"name,omitempty"`
	File       string             `json:"file,omitempty"`
	Key        []string           `json:"key,omitempty"`
	KeyWhy     string             `json:"key_why,omitempty"`
	Cursor     string             `json:"cursor,omitempty"`
	CursorWhy  string             `json:"cursor_why,omitempty"`
	AppendOnly bool               `json:"append_only,omitempty"`
	Skip       string             `json:"skipped_because,omitempty"`
	DeclaredIn string             `json:"declared_in,omitempty"`
	Warnings   []discover.Warning `json:"warnings,omitempty"`
}

func printDiscoverJSON(w io.Writer, ts []discover.Table) error {
	lines := make([]discoverLine, len(ts))
	for i, t := range ts {
		lines[i] = discoverLine{Table: t.Entry.Name.String(), View: t.Entry.View, Rows: t.Entry.Rows, Outcome: t.Outcome,
			Name: t.Name, File: t.File, Key: t.Key, KeyWhy: t.KeyWhy, Cursor: t.Cursor, CursorWhy: t.CursorWhy,
			AppendOnly: t.AppendOnly, Skip: t.Skip, DeclaredIn: t.DeclaredIn, Warnings: t.Warnings}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(lines)
}
