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

func newReconcile(g *globals) *cobra.Command {
	var o datasync.ReconcileOptions
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "reconcile NAME... | --all [--dry-run]",
		Short: "Delete target rows gone from the source and repair rows that differ",
		Long: `reconcile finds, with verify's range checksums up to the stored cursor, the
key ranges where a target table differs from its source, and within them
deletes the target rows whose keys are gone from the source (or marks or keeps
them, per the declaration's deletes:) and writes again the rows missing from
the target or different in it. Source rows changed after the stored cursor are
left to the next run. It claims the table as a run does: a run or rewind that
starts meanwhile stops it, and it stops a run in progress. It is recorded in
the run log with trigger reconcile. --dry-run lists what it would do and
writes nothing.`,
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
			o.Logger = a.log
			failed := 0
			var first error
			for _, t := range ts {
				began := time.Now()
				rep, err := svc.Reconcile(cmd.Context(), t, o)
				if err != nil {
					failed++
					first = cmpErr(first, fmt.Errorf("reconcile %s: %w", t.Name, err))
					a.log.Error().Err(err).Str(datasync.FieldTable, t.Name).Msg("reconcile failed")
					continue
				}
				if err := printReconcile(cmd.OutOrStdout(), t, rep, time.Since(began), asJSON); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d tables failed; first: %w", failed, len(ts), first)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "list what would be deleted and repaired; write nothing")
	cmd.Flags().IntVar(&o.MaxKeys, "keys", 100, "keys listed per action")
	cmd.Flags().IntVar(&o.Ranges, "ranges", 16, "key ranges to checksum the table in")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per table")
	cmd.Flags().BoolVar(&all, "all", false, "every declared table")
	return cmd
}

// cmpErr returns first, or err when there is none yet.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func printReconcile(w io.Writer, t tables.Table, r datasync.ReconcileReport, took time.Duration, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			Table   string  `json:"table"`
			Seconds float64 `json:"seconds"`
			datasync.ReconcileReport
		}{t.Name, took.Seconds(), r})
	}
	verb := map[bool]string{true: "would", false: "did"}[r.DryRun]
	gone := fmt.Sprintf("delete %d", r.Deleted)
	switch {
	case t.Deletes == tables.DeletesMark:
		gone = fmt.Sprintf("mark %d deleted", r.Deleted)
	case t.Deletes == tables.DeletesKeep:
		gone = fmt.Sprintf("keep %d gone from the source", r.Kept)
	}
	fmt.Fprintf(w, "%s: %s %s, insert %d, update %d (%d rejected, %d gone meanwhile) in %s; %d of %d ranges differed, %d pending\n",
		t.Name, verb, gone, r.Repaired.Inserted, r.Repaired.Updated, r.Repaired.Rejected, r.Gone, took.Round(time.Millisecond),
		r.Found.Differing, r.Found.Ranges, r.Found.Pending)
	for _, k := range r.Keys {
		fmt.Fprintf(w, "  %-7s %s\n", k.Kind, k.Key)
	}
	return nil
}
