package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newTables(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tables",
		Short: "List the declared tables",
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := load(g)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSOURCE\tTARGET\tSCHEDULE\tFILE")
			for _, t := range a.tables {
				src := t.Source.Table
				if t.Source.IsQuery() {
					src = "(query)"
				}
				fmt.Fprintf(w, "%s\t%s:%s\t%s:%s\t%s\t%s\n", t.Name, t.Source.Connection, src, t.Target.Connection, t.Target.Table, t.Schedule, t.File)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if a.broken != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), a.broken)
				return badConfig(fmt.Errorf("some declarations are invalid"))
			}
			return nil
		},
	}
}
