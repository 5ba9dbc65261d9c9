package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
)

func newVerify(g *globals) *cobra.Command {
	var ranges int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify NAME...",
		Short: "Compare target tables with their sources; exit 0 only when equal",
		Long: `verify compares each named table with its source over the key space: a row
count and a checksum of every row are computed in each database per key
range, and ranges that differ are narrowed down to their keys. It reports
rows missing from the target, extra in it, and different, and exits 0 only
when there are none. Source rows changed after the stored cursor are
"pending" (the next run brings them), not differences. Columns of types
with no common text form (json, xml...) are listed and left out.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, ts, err := loadTables(g, args, false)
			if err != nil {
				return err
			}
			pools := connect.NewPools(a.cfg)
			defer pools.Close()
			out := cmd.OutOrStdout()
			unequal := 0
			for _, t := range ts {
				rep, err := connect.Verify(cmd.Context(), pools, t, ranges)
				if err != nil {
					return fmt.Errorf("verify %s: %w", t.Name, err)
				}
				if !rep.Equal {
					unequal++
				}
				if asJSON {
					if err := json.NewEncoder(out).Encode(struct {
						Table string `json:"table"`
						datasync.VerifyReport
					}{t.Name, rep}); err != nil {
						return err
					}
					continue
				}
				printVerify(out, t.Name, rep)
			}
			if unequal > 0 {
				return fmt.Errorf("%d of %d tables differ from their source", unequal, len(ts))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&ranges, "ranges", 16, "key ranges to checksum the table in")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per table")
	return cmd
}

func printVerify(w io.Writer, name string, r datasync.VerifyReport) {
	verdict := "equal"
	if !r.Equal {
		verdict = "DIFFERENT"
	}
	fmt.Fprintf(w, "%s: %s: source %d rows, target %d rows; %d missing, %d extra, %d different, %d pending (%d of %d ranges differed)\n",
		name, verdict, r.SourceRows, r.TargetRows, r.Missing, r.Extra, r.Different, r.Pending, r.Differing, r.Ranges)
	for _, k := range r.Keys {
		fmt.Fprintf(w, "  %-9s %s\n", k.Kind, k.Key)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "  not compared: %v\n", r.Skipped)
	}
}
