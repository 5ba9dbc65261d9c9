package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

func newVerify(g *globals) *cobra.Command {
	var ranges int
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "verify NAME... | --all",
		Short: "Compare target tables with their sources; exit 0 only when equal",
		Long: `verify compares each named table with its source over the key space: a row
count and a checksum of every row are computed in each database per key
range, and ranges that differ are narrowed down to their keys. It reports
rows missing from the target, extra in it, different, and keys the target
holds more than once, and exits 0 only when there are none and the row
counts agree. Source rows changed after the stored cursor are "pending"
(the next run brings them), not differences. Columns of types with no
common text form (json, xml...) are listed and left out.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return badConfig(fmt.Errorf("name a table, or --all"))
			}
			a, ts, err := loadTables(g, args, all)
			if err != nil {
				return err
			}
			svc, closeAll := a.openDatabases()
			defer closeAll()
			out := cmd.OutOrStdout()
			unequal := 0
			for _, t := range ts {
				began := time.Now()
				rep, err := svc.Verify(cmd.Context(), t, ranges)
				took := time.Since(began)
				if err != nil {
					return fmt.Errorf("verify %s: %w", t.Name, err)
				}
				if !rep.Equal {
					unequal++
				}
				if asJSON {
					if err := json.NewEncoder(out).Encode(struct {
						Table   string  `json:"table"`
						Source  string  `json:"source"`
						Target  string  `json:"target"`
						Seconds float64 `json:"seconds"`
						datasync.VerifyReport
					}{t.Name, sourceText(t), t.Target.Connection + ":" + t.Target.Table, took.Seconds(), rep}); err != nil {
						return err
					}
					continue
				}
				printVerify(out, t, rep, took)
			}
			if unequal > 0 {
				return fmt.Errorf("%d of %d tables differ from their source", unequal, len(ts))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&ranges, "ranges", 16, "key ranges to checksum the table in")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per table")
	cmd.Flags().BoolVar(&all, "all", false, "every declared table")
	return cmd
}

// sourceText names what a table is read from: connection and table, or
// "query" for a declared query.
func sourceText(t tables.Table) string {
	if t.Source.Query != "" {
		return t.Source.Connection + ":(query)"
	}
	return t.Source.Connection + ":" + t.Source.Table
}

func printVerify(w io.Writer, t tables.Table, r datasync.VerifyReport, took time.Duration) {
	verdict := "equal"
	if !r.Equal {
		verdict = "DIFFERENT"
	}
	fmt.Fprintf(w, "%s: %s: compared %s with %s (%s) in %s\n", t.Name, verdict, sourceText(t), t.Target.Connection+":"+t.Target.Table,
		plural(r.Columns, "column", "columns"), took.Round(time.Millisecond))
	fmt.Fprintf(w, "  source %d rows, target %d rows; %d missing, %d extra, %d different, %d duplicate, %d pending (%d new); %d of %d ranges differed\n",
		r.SourceRows, r.TargetRows, r.Missing, r.Extra, r.Different, r.Duplicate, r.Pending, r.PendingNew, r.Differing, r.Ranges)
	if r.Marked > 0 {
		fmt.Fprintf(w, "  %d target rows marked deleted (deletes: mark), not compared\n", r.Marked)
	}
	if r.Missing+r.Extra+r.Different+r.Duplicate == 0 && r.TargetRows+r.PendingNew != r.SourceRows {
		fmt.Fprintf(w, "  the row counts differ by %d beyond the pending rows\n", r.SourceRows-r.PendingNew-r.TargetRows)
	}
	for _, k := range r.Keys {
		fmt.Fprintf(w, "  %-9s %s\n", k.Kind, k.Key)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "  not compared: %v\n", r.Skipped)
	}
}
