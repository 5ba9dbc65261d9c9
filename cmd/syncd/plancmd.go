package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newPlan(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "plan NAME...",
		Short: "Print the CREATE TABLE that target.create would run, without running it",
		Long: `plan reads the source catalog of each named table and prints the MySQL
CREATE TABLE that target.create would run for it: the types of the documented
type map (docs/sqlserver.md), the primary key from source.key sized to the
target's key limit, utf8mb4, and an index on the cursor column. What the
target cannot keep (a key column narrowed below its source's length) is
printed first as "-- warning:" lines. It changes nothing, in either database.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, ts, err := loadTables(g, args, false)
			if err != nil {
				return err
			}
			svc, closeAll := a.openDatabases()
			defer closeAll()
			for _, t := range ts {
				def, ddl, err := svc.Plan(cmd.Context(), t)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "-- %s: %s:%s -> %s:%s\n", t.Name, t.Source.Connection, t.Source.Table, t.Target.Connection, t.Target.Table)
				for _, w := range def.Warnings {
					fmt.Fprintf(cmd.OutOrStdout(), "-- warning: %s\n", w)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s;\n", ddl)
			}
			return nil
		},
	}
}
