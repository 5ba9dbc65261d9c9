package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newRejects(g *globals) *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rejects NAME",
		Short: "List the rows the target refused for a table",
		Long: `rejects lists the rows of a table that the target refused (a value too long,
out of range, an invalid date...), kept aside in the target with the
server's error. Every run of the table tries them again from the source:
fix the source row or the target column, then syncd enqueue NAME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, ts, err := loadTables(g, args, false)
			if err != nil {
				return err
			}
			t := ts[0]
			o, closeAll := a.openDatabases()
			defer closeAll()
			rs, total, err := o.Rejects(cmd.Context(), t, limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(map[string]any{"table": t.Name, "total": total, "rejects": rs})
			}
			fmt.Fprintf(out, "%s: %d rejected rows\n", t.Name, total)
			for _, r := range rs {
				fmt.Fprintf(out, "key %s  run %d  attempts %d  last %s\n  error:  %s\n  values: %s\n",
					r.Key, r.RunID, r.Attempts, r.LastSeen.Format("2006-01-02 15:04:05"), r.Error, r.Values)
			}
			if int64(len(rs)) < total {
				fmt.Fprintf(out, "(%d more; --limit to see them)\n", total-int64(len(rs)))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "rows to list")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON for scripts")
	return cmd
}
