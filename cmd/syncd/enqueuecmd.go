package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/mysql"
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
non-zero if it failed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.full && o.from != "" {
				return badConfig(errors.New("--from and --full: give one of them"))
			}
			a, ts, err := loadTables(g, args, o.all)
			if err != nil {
				return err
			}
			return a.enqueue(cmd.Context(), cmd.OutOrStdout(), ts, o)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "every declared table")
	cmd.Flags().StringVar(&o.from, "from", "", "rewind the cursor to TIME (or an integer) first")
	cmd.Flags().BoolVar(&o.full, "full", false, "rewind to the start first: every row again")
	cmd.Flags().BoolVar(&o.acceptSchema, "accept-schema", false, "take a change of the source's columns as it is (after making the target match)")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "follow the run and print its progress; exit non-zero if it failed")
	return cmd
}

func (a *app) enqueue(ctx context.Context, out io.Writer, ts []tables.Table, o enqueueOptions) error {
	var from any
	if o.from != "" {
		var err error
		if from, err = queue.ParseFrom(o.from); err != nil {
			return badConfig(fmt.Errorf("--from: %w", err))
		}
	}
	trigger := datasync.TriggerManual
	switch {
	case o.full:
		trigger = datasync.TriggerFull
	case from != nil:
		trigger = datasync.TriggerRewind
	}
	pools, enq, closeAll := a.open()
	defer closeAll()
	failed := 0
	for _, t := range ts {
		if err := a.enqueueOne(ctx, out, enq, pools, t, queue.Payload{Trigger: trigger, AcceptSchema: o.acceptSchema}, from, o.wait); err != nil {
			fmt.Fprintf(out, "%s: %v\n", t.Name, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d tables failed", failed, len(ts))
	}
	return nil
}

func (a *app) enqueueOne(ctx context.Context, out io.Writer, enq *queue.Enqueuer, pools *connect.Pools, t tables.Table, p queue.Payload, from any, wait bool) error {
	trigger := p.Trigger
	var lastRun int64
	if wait || trigger != datasync.TriggerManual {
		db, err := connect.StateDB(ctx, pools, t)
		if err != nil {
			return err
		}
		if lastRun, err = mysql.LastRunID(ctx, db, t.Name); err != nil {
			return err
		}
	}
	if trigger != datasync.TriggerManual {
		if err := queue.Rewind(ctx, pools, t, from); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: rewound to %s\n", t.Name, rewindPoint(from))
	}
	res, err := enq.EnqueuePayload(ctx, t, p)
	// A sync running now stops at its next page, fenced by the rewind;
	// the rewound run must not be lost as "already queued" behind it.
	if err == nil && trigger != datasync.TriggerManual && res.Already == "active" {
		fmt.Fprintf(out, "%s: waiting for the running sync to stop at its next page\n", t.Name)
	}
	for deadline := time.Now().Add(2 * time.Minute); err == nil && trigger != datasync.TriggerManual && res.Already == "active"; {
		if time.Now().After(deadline) {
			return errors.New("the sync running before the rewind has not stopped after 2 minutes; the rewind stands, and the table's next run starts from it")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		res, err = enq.EnqueuePayload(ctx, t, p)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s\n", t.Name, res)
	if !wait {
		return nil
	}
	return a.follow(ctx, out, enq, pools, t, lastRun)
}

func rewindPoint(from any) string {
	if from == nil {
		return "the start (full re-sync)"
	}
	if t, ok := from.(time.Time); ok {
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(from)
}

// follow prints the progress of t's run until it ends, then its result.
// The rows left are counted on the source beside the run, for the
// estimate; on a table too large to count quickly the estimate comes
// later or not at all.
func (a *app) follow(ctx context.Context, out io.Writer, enq *queue.Enqueuer, pools *connect.Pools, t tables.Table, lastRun int64) error {
	db, err := pools.DB(ctx, t.Target.Connection)
	if err != nil {
		return err
	}
	var total atomic.Int64
	total.Store(-1)
	countCtx, stopCount := context.WithCancel(ctx)
	defer stopCount()
	go func() {
		st, _, err := mysql.ReadState(countCtx, db, t.Name)
		if err != nil {
			return
		}
		src, err := connect.OpenSource(countCtx, pools, t)
		if err != nil {
			return
		}
		defer src.Close()
		if n, err := src.CountAfter(countCtx, st.Position); err == nil {
			total.Store(n)
		}
	}()
	p := newProgressPrinter(out, t.Name)
	err = enq.Follow(ctx, t, time.Second, func(s queue.TaskStatus) { p.print(s, total.Load()) })
	p.done()
	if err != nil {
		return err
	}
	if followed, err := followSnapshot(ctx, out, db, t, time.Second); followed || err != nil {
		return err
	}
	runs, err := mysql.ListRuns(ctx, db, mysql.RunFilter{Table: t.Name, Limit: 1})
	if err != nil {
		return err
	}
	if len(runs) == 0 || runs[0].ID <= lastRun && p.runID == 0 {
		return errors.New("the task left the queue without a run in syncd_runs (was the table removed?)")
	}
	r := runs[0]
	dur := time.Duration(0)
	if r.Ended != nil {
		dur = r.Ended.Sub(r.Started).Round(time.Millisecond)
	}
	fmt.Fprintf(out, "%s: run %d %s: %d rows read (%d inserted, %d updated, %d unchanged) in %s, cursor %s\n",
		t.Name, r.ID, r.Status, r.Read, r.Inserted, r.Updated, r.Unchanged, dur, orNone(r.CursorAfter))
	if r.Status != mysql.StatusOK {
		return fmt.Errorf("run %d %s: %s", r.ID, r.Status, r.Error)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// progressPrinter writes a progress line: rewritten in place on a
// terminal, a new line every few seconds elsewhere (logs, CI).
type progressPrinter struct {
	out   io.Writer
	name  string
	tty   bool
	last  time.Time
	runID int64
	line  bool
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
		p.runID = pr.RunID
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
