package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Handler runs the engine for sync:table tasks.
type Handler struct {
	Catalog *Catalog
	Pools   *connect.Pools
	Log     zerolog.Logger
	// Observer, when set, is told of every page and every task, for
	// metrics; the queue itself keeps no counts.
	Observer Observer
	// Jobs, when set, keeps each table's setup between its runs (see
	// connect.Jobs), and quiet scheduled runs are folded into the table's
	// state; when nil, every task sets its table up again and every run
	// is a line of the run log.
	Jobs *connect.Jobs
	// Inspector, when set, lets a sync and a reconcile of one table keep
	// out of each other's way (see processReconcile); without it they
	// still never write at once: the later one's claim fences the other.
	Inspector *asynq.Inspector
	// Rates, when set, holds each table with a rate: to it, across
	// workers; when nil, reads are unlimited.
	Rates *Rates
	// Parts, when set, queues the parts of snapshots: a table with no
	// cursor (a first load, a --full) whose source is large enough, or
	// that declares snapshot.parts, is loaded in key order by parts that
	// any worker takes (see datasync.StartSnapshot). When nil, every
	// first load is an ordinary run.
	Parts *Enqueuer
}

// Observer is told what the handler's tasks do. Calls come from the
// tasks' goroutines, several at once.
type Observer interface {
	// Page is called after each committed page with the rows it read,
	// the rows it inserted or updated, and the rows the target refused.
	Page(table string, read, written, rejected int64)
	// Done is called when a task ends, with its Result and the run's
	// record (without ID or times for a paused table's task, which never
	// starts a run).
	Done(table string, result string, rec datasync.RunRecord)
}

// Results of a task, as an Observer is told them.
const (
	ResultOK         = "ok"
	ResultFailed     = "failed"
	ResultPaused     = "paused"     // the table is paused: nothing read
	ResultSuperseded = "superseded" // a newer run of the table took over
	ResultCancelled  = "cancelled"  // shutdown or an Asynq cancel: retried later
)

// Progress is what a running task writes as its result after each page,
// so `syncd enqueue --wait` and /monitor can show how far it got.
type Progress struct {
	RunID     int64     `json:"run_id"`
	Started   time.Time `json:"started"`
	Rows      int64     `json:"rows"`
	Pages     int       `json:"pages"`
	Inserted  int64     `json:"inserted"`
	Updated   int64     `json:"updated"`
	Unchanged int64     `json:"unchanged"`
	Cursor    string    `json:"cursor"`
}

// ProcessTask implements asynq.Handler. The task's context carries the
// table's timeout and is cancelled on shutdown; the engine stops between
// pages then, with the stored position matching the rows written.
func (h *Handler) ProcessTask(ctx context.Context, task *asynq.Task) error {
	if task.Type() == TypeSnapshotPart {
		return h.processPart(ctx, task)
	}
	p, t, err := h.tableTask(task)
	if err != nil {
		return err
	}
	// The declaration may have changed since the task was enqueued; its
	// timeout now is the one that counts.
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	if yield, err := h.yieldToReconcile(t, p); yield {
		return err
	}
	if handled, err := h.snapshot(ctx, t, p); handled || err != nil {
		return err
	}
	if h.Jobs != nil {
		return h.runKept(ctx, task, t, p)
	}
	if paused, err := h.paused(ctx, t); err != nil || paused {
		return err
	}
	job, err := connect.Open(ctx, h.Pools, t)
	if err != nil {
		h.notStarted(ctx, t, p.Trigger, err)
		return h.classify(t, err)
	}
	defer job.Close()
	if job.Created {
		h.Log.Info().Str(datasync.FieldTable, t.Name).Str("target_table", t.Target.Table).Msg("created the target table (target.create)")
	}
	rec, err := job.Run(ctx, datasync.Options{
		Trigger:      p.Trigger,
		AcceptSchema: p.AcceptSchema,
		Logger:       h.Log,
		Progress:     h.progress(t.Name, task.ResultWriter()),
		Limiter:      h.Rates.For(t),
	})
	return h.finish(t, rec, err)
}

// tableTask reads the payload of a sync or reconcile task and looks up the
// table it names.
func (h *Handler) tableTask(task *asynq.Task) (Payload, tables.Table, error) {
	p, err := ParsePayload(task.Payload())
	if err != nil {
		return p, tables.Table{}, permanent{err}
	}
	t, err := h.declared(p.Table)
	return p, t, err
}

// declared looks up a table a task names. One no longer declared fails
// the task for good: no retry brings its declaration back.
func (h *Handler) declared(name string) (tables.Table, error) {
	t, ok := h.Catalog.Lookup(name)
	if !ok {
		return t, permanent{fmt.Errorf("table %s is no longer declared in %s", name, h.Catalog.cfg.TablesDir)}
	}
	return t, nil
}

// finish reports how the run ended and tells Asynq whether to retry it.
func (h *Handler) finish(t tables.Table, rec datasync.RunRecord, err error) error {
	switch {
	case datasync.IsPaused(err):
		// Paused while it ran: stopped at a page boundary, by choice.
		h.done(t, ResultPaused, rec)
		return nil
	case datasync.IsFenced(err):
		// A newer run of the table (a second delivery of this task, or a
		// rewind) holds the table now and does the work; retrying this one
		// would only fence that one in turn.
		h.Log.Info().Str(datasync.FieldTable, t.Name).Int64(datasync.FieldRunID, rec.ID).Msg("run superseded by a newer run of the table; not retried")
		h.done(t, ResultSuperseded, rec)
		return nil
	case errors.Is(err, context.Canceled):
		// Shutdown or a cancel from /monitor: the run stopped at a page
		// boundary and the queue takes the task up again; not a failure
		// of the table.
		h.done(t, ResultCancelled, rec)
		return err
	case err != nil:
		h.done(t, ResultFailed, rec)
		return h.classify(t, err)
	}
	h.done(t, ResultOK, rec)
	return nil
}

// paused reports whether t is paused, reading only the target's state:
// a paused table's source may be down for maintenance, and opening it
// (which reads its catalog) is what pausing must spare it. A paused
// table's task ends here, a success. A target that cannot be read is
// the task's failure, classified like any other (a refused login is not
// retried); it cannot go into the run log, which lives in that target.
func (h *Handler) paused(ctx context.Context, t tables.Table) (bool, error) {
	db, err := h.Pools.DB(ctx, t.Target.Connection)
	var paused bool
	if err == nil {
		paused, err = state.New(db).IsPaused(ctx, t.Name)
	}
	if err != nil {
		now := time.Now()
		h.done(t, ResultFailed, datasync.RunRecord{Table: t.Name, Started: now, Ended: now, Error: err.Error()})
		return false, h.classify(t, err)
	}
	if !paused {
		return false, nil
	}
	h.Log.Info().Str(datasync.FieldTable, t.Name).Msg("table paused; task done without reading the source")
	h.done(t, ResultPaused, datasync.RunRecord{Table: t.Name, Paused: true})
	return true, nil
}

// notStarted reports a failure that came before a run could start: it
// goes into the run log as a failed run, so that status, syncd runs and
// the API show it (the worker's error handler logs it).
func (h *Handler) notStarted(ctx context.Context, t tables.Table, trigger string, err error) {
	now := time.Now()
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := connect.RecordFailure(recCtx, h.Pools, t, trigger, now, err); rerr != nil {
		h.Log.Warn().Str(datasync.FieldTable, t.Name).Err(rerr).Msg("failure not recorded in the run log")
	}
	h.done(t, ResultFailed, datasync.RunRecord{Table: t.Name, Trigger: trigger, Started: now, Ended: now, Error: err.Error()})
}

func (h *Handler) done(t tables.Table, result string, rec datasync.RunRecord) {
	if h.Observer != nil {
		h.Observer.Done(t.Name, result, rec)
	}
}

// classify marks the errors no retry can fix (connect.Permanent), so
// Asynq archives the task at once instead of retrying it for half an
// hour; everything else (connections refused or cut, deadlocks, timeouts,
// a server restarting) is retried with backoff.
func (h *Handler) classify(t tables.Table, err error) error {
	switch {
	case errors.Is(err, datasync.ErrSchemaChanged):
		// Stays so until someone makes the target match and accepts it.
		return permanent{err}
	case errors.Is(err, datasync.ErrDeclaration) || errors.Is(err, tables.ErrBadIdent) || errors.Is(err, tables.ErrUnknownConnection):
		return permanent{fmt.Errorf("%s: %w (fix the declaration, then enqueue again)", t.Name, err)}
	case connect.Permanent(err):
		return permanent{fmt.Errorf("%s: %w (not retried: a retry cannot fix this; fix it, then enqueue again)", t.Name, err)}
	}
	return err
}

// permanent is an error Asynq does not retry (it matches asynq.SkipRetry)
// whose text is only its own: the task's last error, as /monitor, status
// and the page show it, does not end in Asynq's "skip retry for the task".
type permanent struct{ error }

func (e permanent) Is(target error) bool { return target == asynq.SkipRetry }
func (e permanent) Unwrap() error        { return e.error }

// progress returns the datasync.Options.Progress of a run: it writes the
// run's progress as the task's result (a failed write only loses a
// report) and tells the Observer what the page added.
func (h *Handler) progress(table string, w *asynq.ResultWriter) func(datasync.RunRecord) {
	var last datasync.RunRecord
	return func(r datasync.RunRecord) {
		if h.Observer != nil {
			h.Observer.Page(table, r.Read-last.Read, r.Inserted+r.Updated-last.Inserted-last.Updated, r.Rejected-last.Rejected)
			last = r
		}
		if w == nil {
			return
		}
		b, err := json.Marshal(Progress{
			RunID: r.ID, Started: r.Started, Rows: r.Read, Pages: r.Pages,
			Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged, Cursor: r.CursorAfter.String(),
		})
		if err == nil {
			_, _ = w.Write(b)
		}
	}
}
