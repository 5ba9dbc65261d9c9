package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// statusTimeout bounds syncd status: a source that does not answer costs
// its lag, not the whole report.
const statusTimeout = 20 * time.Second

func newStatus(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Where each table stands: paused, cursor, lag, last run, next run, task",
		Long: `status reports, for each named table (every declared table when none is
named, broken declaration files included): whether it is paused, the stored
cursor, the lag (the time since the upper bound of the last successful run:
how far behind its source the table is known to be), the row age (the
source's clock minus a time cursor; a paused table's source is not read),
the last run and the age of the last successful one, rows rejected, late
rows (written again by the lookback, since the table's first run), the
next scheduled run, whether a task of the table is queued or running now
with its progress, and its last error. --json prints the same as /api/tables.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := load(g)
			if err != nil {
				return err
			}
			declared, broken := a.splitBroken(args)
			ts, err := a.find(declared, len(args) == 0)
			if err != nil && (len(declared) > 0 || len(broken) == 0) {
				return err
			}
			svc, closeAll := a.open()
			defer closeAll()
			ctx, cancel := context.WithTimeout(cmd.Context(), statusTimeout)
			defer cancel()
			sts := queue.WithBroken(svc.Status(ctx, ts), broken)
			if asJSON {
				return printJSON(cmd.OutOrStdout(), sts)
			}
			return printStatus(cmd.OutOrStdout(), sts, time.Now())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the shape of /api/tables)")
	return cmd
}

// loadTables loads the configuration and the declarations called names,
// or all of them with all set.
func loadTables(g *globals, names []string, all bool) (*app, []tables.Table, error) {
	a, err := load(g)
	if err != nil {
		return nil, nil, err
	}
	ts, err := a.find(names, all)
	return a, ts, err
}

// splitBroken divides table names into those of broken declaration files
// and the others; with no names, every broken file is returned.
func (a *app) splitBroken(names []string) (declared []string, broken []queue.BrokenFile) {
	if len(names) == 0 {
		return nil, a.brokenFiles
	}
	for _, n := range names {
		if b, ok := a.brokenFile(n); ok {
			broken = append(broken, b)
		} else {
			declared = append(declared, n)
		}
	}
	return declared, broken
}

// open returns the operations service over a's databases and queue, and
// the func that closes them.
func (a *app) open() (*ops.Service, func()) {
	pools := connect.NewPools(a.cfg)
	enq := queue.NewEnqueuer(queue.RedisConnOpt(a.cfg.Redis))
	return ops.New(pools, enq), func() { enq.Close(); pools.Close() }
}

// openDatabases returns the operations service over a's databases alone,
// for the operations that never touch the queue, and the func that
// closes them.
func (a *app) openDatabases() (*ops.Service, func()) {
	pools := connect.NewPools(a.cfg)
	return ops.New(pools, nil), func() { pools.Close() }
}

func newRuns(g *globals) *cobra.Command {
	var f state.RunFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs NAME",
		Short: "The run history of a table, newest first, with errors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Limit < 1 {
				return badConfig(fmt.Errorf("--limit: %d (allowed: 1 or more)", f.Limit))
			}
			a, ts, err := loadTables(g, args, false)
			if err != nil {
				return err
			}
			o, closeAll := a.openDatabases()
			defer closeAll()
			f.Table = ts[0].Name
			runs, err := o.Runs(cmd.Context(), ts[0], f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), orEmpty(runs))
			}
			if err := printRuns(cmd.OutOrStdout(), runs); err != nil {
				return err
			}
			return printFolded(cmd.Context(), cmd.OutOrStdout(), o, ts[0], f)
		},
	}
	cmd.Flags().IntVar(&f.Limit, "limit", 20, "show at most N runs")
	cmd.Flags().BoolVar(&f.Failed, "failed", false, "only failed runs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the shape of /api/tables/NAME/runs)")
	return cmd
}

// orEmpty makes a nil list print as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// printRuns writes one line per run; a run's error follows it, indented.
// The columns are aligned over the run lines alone, so that a long error
// neither widens a column nor breaks the alignment.
func printRuns(w io.Writer, runs []state.RunRow) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tTRIGGER\tSTATUS\tREAD\tINSERTED\tUPDATED\tUNCHANGED\tREJECTED\tDELETED\tLATE\tDURATION\tCURSOR AFTER")
	for _, r := range runs {
		dur := "-"
		if r.Ended != nil {
			dur = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.ID, r.Started.Format(time.DateTime), r.Trigger, r.Status,
			r.Read, r.Inserted, r.Updated, r.Unchanged, r.Rejected, r.Deleted, r.Late, dur, orDash(r.CursorAfter))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	fmt.Fprintln(w, lines[0])
	for i, r := range runs {
		fmt.Fprintln(w, lines[i+1])
		if r.Error != "" {
			fmt.Fprintf(w, "    error: %s\n", strings.Join(strings.Fields(r.Error), " "))
		}
	}
	if len(runs) == 0 {
		fmt.Fprintln(w, "(no runs)")
	}
	return nil
}

func newPause(g *globals) *cobra.Command {
	return newTablesCommand(g, "pause", "Pause tables: their tasks end at once, reading nothing from the source",
		`pause marks each table paused in its target's state. Its scheduled
tasks then end at once without touching the source (pause a table whose
source is down for maintenance), and a sync running now stops at its next
page boundary, its cursor matching the rows written. resume continues from
the stored cursor.`,
		func(ctx context.Context, w io.Writer, o *ops.Service, t tables.Table) error {
			if err := o.Pause(ctx, t); err != nil {
				return err
			}
			fmt.Fprintf(w, "%s: paused (a sync running now stops at its next page)\n", t.Name)
			return nil
		})
}

func newResume(g *globals) *cobra.Command {
	return newTablesCommand(g, "resume", "Resume paused tables and queue a sync of each now",
		`resume lifts the pause of each table and queues a sync of it now, which
continues from the stored cursor and so picks up every row written while it
was paused. Without Redis the pause is still lifted; the schedule takes the
table up again.`,
		func(ctx context.Context, w io.Writer, o *ops.Service, t tables.Table) error {
			res, err := o.Resume(ctx, t)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s: resumed; %s\n", t.Name, queuedText(res))
			return nil
		})
}

// queuedText says what became of the sync a resume queues, in the CLI
// and the API alike.
func queuedText(r ops.Resumed) string {
	if r.NotQueued != nil {
		return fmt.Sprintf("no sync queued now (%v): the schedule takes it up", r.NotQueued)
	}
	return "sync " + r.Outcome.String()
}

type cliAction func(ctx context.Context, w io.Writer, o *ops.Service, t tables.Table) error

// newTablesCommand builds pause, resume and cancel, which differ only in
// what they do to each table.
func newTablesCommand(g *globals, use, short, long string, do cliAction) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   use + " NAME... | --all",
		Short: short,
		Long:  long,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, ts, err := loadTables(g, args, all)
			if err != nil {
				return err
			}
			o, closeAll := a.open()
			defer closeAll()
			var errs []error
			for _, t := range ts {
				if err := do(cmd.Context(), cmd.OutOrStdout(), o, t); err != nil {
					errs = append(errs, fmt.Errorf("%s %s: %w", use, t.Name, err))
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every declared table")
	return cmd
}

func newCancel(g *globals) *cobra.Command {
	return newTablesCommand(g, "cancel", "Stop the running sync of tables at its next page; the queue retries it",
		`cancel asks the worker running each table's sync to stop it, through
Asynq's cancel: the run stops at its page boundary (the page being written
rolls back, the cursor matches the rows written) and the task goes to retry,
continuing from the cursor after its backoff. To keep a table stopped, pause
it instead.`,
		func(_ context.Context, w io.Writer, o *ops.Service, t tables.Table) error {
			running, err := o.Cancel(t)
			switch {
			case err != nil:
				return err
			case running:
				fmt.Fprintf(w, "%s: cancel sent; the sync stops at its next page and is retried later\n", t.Name)
			default:
				fmt.Fprintf(w, "%s: no sync running\n", t.Name)
			}
			return nil
		})
}
