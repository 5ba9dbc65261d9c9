package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/tables"
)

func newSync(g *globals) *cobra.Command {
	var all, acceptSchema bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "sync NAME... | --all",
		Short: "Sync tables once now, in this process (no Redis needed, unless a table has a rate)",
		Long: `sync runs one sync of each named table in this process and exits non-zero
if any failed. With --every it repeats until interrupted (SIGINT/SIGTERM stop
a run at the next page boundary, with the cursor matching the rows written).

A first load (or a snapshot under way) of a table of 1,000,000 source rows
or more, or one that declares snapshot.parts, is a snapshot in key order:
its parts run here one after the other, then a run reads what changed
since the snapshot's bound.

When a source column in use is removed, changes type, or is new (and
target.evolve does not add it), the run stops before writing and says what
changed. Make the target table match, then run once with --accept-schema.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := load(g)
			if err != nil {
				return err
			}
			if a.broken != nil {
				a.log.Warn().Err(a.broken).Msg("some declarations did not load")
			}
			ts, err := a.find(args, all)
			if err != nil {
				return err
			}
			pools := connect.NewPools(a.cfg)
			defer pools.Close()
			for {
				failed, first := a.syncAll(cmd.Context(), cmd.OutOrStdout(), pools, ts, acceptSchema)
				acceptSchema = false // accepted once, by the first round
				if every == 0 || cmd.Context().Err() != nil {
					if failed > 0 {
						return fmt.Errorf("%d of %d tables failed; first: %s", failed, len(ts), oneLine(first))
					}
					return nil
				}
				select {
				case <-time.After(every):
				case <-cmd.Context().Done():
					return nil
				}
			}
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "sync every declared table")
	cmd.Flags().DurationVar(&every, "every", 0, "repeat every DURATION until interrupted")
	cmd.Flags().BoolVar(&acceptSchema, "accept-schema", false, "take a change of the source's columns as it is (after making the target match)")
	return cmd
}

// syncAll runs each table once and returns how many failed; each failure
// is logged by the run itself.
func (a *app) syncAll(ctx context.Context, out io.Writer, pools *connect.Pools, ts []tables.Table, acceptSchema bool) (failed int, first error) {
	for _, t := range ts {
		if ctx.Err() != nil {
			break
		}
		if err := a.syncOne(ctx, out, pools, t, acceptSchema); err != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("%s: %w", t.Name, err)
			}
		}
	}
	return failed, first
}

// oneLine folds an error that spans lines (drivers list every address
// they tried) into one line for the final message.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// syncOne runs t once and writes its run's summary line to out.
func (a *app) syncOne(ctx context.Context, out io.Writer, pools *connect.Pools, t tables.Table, acceptSchema bool) error {
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	job, err := connect.Open(ctx, pools, t)
	if err != nil {
		a.log.Error().Str(datasync.FieldTable, t.Name).Err(err).Msg("run could not start")
		if rerr := connect.RecordFailure(ctx, pools, t, datasync.TriggerManual, time.Now(), err); rerr != nil {
			a.log.Warn().Str(datasync.FieldTable, t.Name).Err(rerr).Msg("failure not recorded in the run log")
		}
		return err
	}
	defer job.Close()
	if job.Created {
		a.log.Info().Str(datasync.FieldTable, t.Name).Str("target_table", t.Target.Table).Msg("created the target table (target.create)")
	}
	var lim datasync.Limiter
	if t.Rate > 0 {
		// The rate holds across every process reading the table, through
		// Redis: only a table with a rate needs it here.
		rates := queue.NewRates(queue.RedisConnOpt(a.cfg.Redis))
		defer rates.Close()
		lim = rates.For(t)
	}
	o := datasync.Options{Trigger: datasync.TriggerManual, Logger: a.log, AcceptSchema: acceptSchema, Limiter: lim}
	// A first load of a large table is a snapshot here too, its parts run
	// one after the other in this process; the run after it reads what
	// changed since the snapshot's bound.
	if _, err := job.LoadSnapshot(ctx, pools, o); err != nil {
		return err
	}
	rec, err := job.Run(ctx, o)
	if rec.ID != 0 {
		fmt.Fprintln(out, recordLine(rec, err).text(t.Name))
	}
	return err
}
