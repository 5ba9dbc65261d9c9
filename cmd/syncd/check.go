package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newCheck(g *globals) *cobra.Command {
	var connectToo bool
	cmd := &cobra.Command{
		Use:   "check [NAME...]",
		Short: "Validate syncd.yaml and the table declarations; with --connect also the databases",
		Long: `check validates syncd.yaml and every declaration in the tables directory and
prints every problem, each naming its file and field. With --connect it also
connects to every source and target and refuses a table whose columns do not
exist, whose cursor is nullable or not indexed, whose page query the source
refuses (a where: that does not parse), or whose target's primary key is not
the declared key or that has a UNIQUE key besides it, and tells of source
columns changed since the last run.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := load(g)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			// Named tables are checked alone; a named table whose file is
			// broken is reported by find, with the file's problem.
			all := len(args) == 0
			if all && a.broken != nil {
				fmt.Fprintln(out, a.broken)
			}
			ts, err := a.find(args, all)
			if err != nil {
				return err
			}
			failed := 0
			if connectToo {
				svc, closeAll := a.openDatabases()
				defer closeAll()
				for _, t := range ts {
					for _, p := range svc.Check(cmd.Context(), t) {
						fmt.Fprintln(out, p)
						if p.Error {
							failed++
						}
					}
				}
			}
			if all && a.broken != nil {
				return badConfig(errors.New("some declarations are invalid"))
			}
			if failed > 0 {
				return fmt.Errorf("tables refused: %s", plural(failed, "problem", "problems"))
			}
			fmt.Fprintf(out, "ok: %s\n", plural(len(ts), "table", "tables"))
			return nil
		},
	}
	cmd.Flags().BoolVar(&connectToo, "connect", false, "also connect to the databases and check tables and indexes")
	return cmd
}

// plural writes n with the word that fits it: "1 table", "2 tables".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
