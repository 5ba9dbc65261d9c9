package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// enqueueOptions are the flags of syncd enqueue.
type enqueueOptions struct {
	all  bool
	from string
	full bool
	wait bool
	// acceptSchema takes a change of the source's columns as it is.
	acceptSchema bool
	// reconcile enqueues a reconcile of the tables instead of a sync.
	reconcile bool
}

func newEnqueue(g *globals) *cobra.Command {
	var o enqueueOptions
	cmd := &cobra.Command{
		Use:   "enqueue NAME... | --all",
		Short: "Queue a sync of tables now (run by any worker)",
		Long: `enqueue puts a sync of each named table on its queue now. A sync of the
table already queued or running is reported as "already queued", not as an
error: a table syncs once at a time.

--from TIME rewinds the table first, so the run reads again every row whose
cursor is at or after TIME (an integer for integer cursors); --full rewinds
to the very start (every row again). A sync running at that moment stops at
its next page. --wait follows the run, printing its progress, and exits
non-zero if it failed.

--reconcile queues a reconcile of each table instead (see syncd reconcile),
run by a worker as the table's reconcile: schedule runs it; syncd runs shows
its result with trigger reconcile.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.full && o.from != "" {
				return badConfig(errors.New("--from and --full: give one of them"))
			}
			if o.reconcile && (o.full || o.from != "" || o.wait || o.acceptSchema) {
				return badConfig(errors.New("--reconcile: not with --from, --full, --wait or --accept-schema (allowed: --reconcile NAME... | --all)"))
			}
			a, ts, err := loadTables(g, args, o.all)
			if err != nil {
				return err
			}
			if o.reconcile {
				return a.enqueueReconcile(cmd.Context(), cmd.OutOrStdout(), ts)
			}
			return a.enqueue(cmd.Context(), cmd.OutOrStdout(), ts, o)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "every declared table")
	cmd.Flags().StringVar(&o.from, "from", "", "rewind the cursor to TIME (or an integer) first")
	cmd.Flags().BoolVar(&o.full, "full", false, "rewind to the start first: every row again")
	cmd.Flags().BoolVar(&o.acceptSchema, "accept-schema", false, "take a change of the source's columns as it is (after making the target match)")
	cmd.Flags().BoolVar(&o.reconcile, "reconcile", false, "queue a reconcile of the tables (as their reconcile: schedule does) instead of a sync")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "follow the run and print its progress; exit non-zero if it failed")
	return cmd
}

func (a *app) enqueue(ctx context.Context, out io.Writer, ts []tables.Table, o enqueueOptions) error {
	eo := ops.EnqueueOptions{Rewind: o.full, AcceptSchema: o.acceptSchema, Follow: o.wait}
	if o.from != "" {
		var err error
		if eo.From, err = ops.ParseFrom(o.from); err != nil {
			return badConfig(fmt.Errorf("--from: %w", err))
		}
		eo.Rewind = true
	}
	svc, closeAll := a.open()
	defer closeAll()
	failed := 0
	for _, t := range ts {
		if err := enqueueOne(ctx, out, svc, t, eo); err != nil {
			fmt.Fprintf(out, "%s: %v\n", t.Name, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d tables failed", failed, len(ts))
	}
	return nil
}

func enqueueOne(ctx context.Context, out io.Writer, svc *ops.Service, t tables.Table, eo ops.EnqueueOptions) error {
	eo.Note = func(s string) { fmt.Fprintf(out, "%s: %s\n", t.Name, s) }
	res, err := svc.Enqueue(ctx, t, eo)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s\n", t.Name, res.Outcome)
	if !eo.Follow {
		return nil
	}
	return follow(ctx, out, svc, t, res.LastRun)
}

// follow prints the progress of t's run until it ends, then its result.
func follow(ctx context.Context, out io.Writer, svc *ops.Service, t tables.Table, lastRun int64) error {
	p := newProgressPrinter(out, t.Name)
	r, err := svc.Follow(ctx, t, lastRun, p.print)
	p.done()
	if err != nil && !errors.Is(err, ops.ErrNoRun) {
		return err
	}
	// A snapshot's task writes no run of its own: its parts do.
	if followed, err := followSnapshot(ctx, out, svc, t, r); followed || err != nil {
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(out, rowLine(r).text(t.Name))
	if r.Status != state.StatusOK {
		return fmt.Errorf("run %d %s: %s", r.ID, r.Status, r.Error)
	}
	return nil
}

// progressPrinter writes a progress line: rewritten in place on a
// terminal, a new line every few seconds elsewhere (logs, CI).
type progressPrinter struct {
	out  io.Writer
	name string
	tty  bool
	last time.Time
	line bool
}

func newProgressPrinter(out io.Writer, name string) *progressPrinter {
	f, ok := out.(*os.File)
	return &progressPrinter{out: out, name: name, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progressPrinter) print(s queue.TaskStatus, total int64) {
	if s.State == "done" {
		return
	}
	if !p.tty && time.Since(p.last) < 5*time.Second {
		return
	}
	p.last = time.Now()
	text := s.State
	if pr := s.Progress; pr != nil {
		text = progressText(pr, total, time.Since(pr.Started))
	}
	if p.tty {
		fmt.Fprintf(p.out, "\r\033[K%s: %s", p.name, text)
		p.line = true
		return
	}
	fmt.Fprintf(p.out, "%s: %s\n", p.name, text)
}

func (p *progressPrinter) done() {
	if p.line {
		fmt.Fprintln(p.out)
	}
}

// progressText says how far a run got, its rate, and, when the rows to
// read are known, the share done and the time left.
func progressText(pr *queue.Progress, total int64, elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(pr.Rows) / s
	}
	text := fmt.Sprintf("running: %d rows, %.0f rows/s", pr.Rows, rate)
	if total > 0 {
		share := min(float64(pr.Rows)/float64(total), 1)
		text += fmt.Sprintf(", %.0f%% of %d", share*100, total)
		if rate > 0 && pr.Rows < total {
			text += fmt.Sprintf(", about %s left", time.Duration(float64(total-pr.Rows)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	return text
}

// enqueueReconcile puts a reconcile of each table on its queue.
func (a *app) enqueueReconcile(ctx context.Context, out io.Writer, ts []tables.Table) error {
	svc, closeAll := a.open()
	defer closeAll()
	failed := 0
	for _, t := range ts {
		res, err := svc.EnqueueReconcile(ctx, t)
		if err != nil {
			fmt.Fprintf(out, "%s: %v\n", t.Name, err)
			failed++
			continue
		}
		fmt.Fprintf(out, "%s: reconcile %s\n", t.Name, res)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d tables failed", failed, len(ts))
	}
	return nil
}
