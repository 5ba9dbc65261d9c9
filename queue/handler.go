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
	"github.com/syncd/syncd/tables"
)

// Handler runs the engine for sync:table tasks.
type Handler struct {
	Catalog *Catalog
	Pools   *connect.Pools
	Log     zerolog.Logger
}

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
	p, err := ParsePayload(task.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	t, ok := h.Catalog.Lookup(p.Table)
	if !ok {
		return fmt.Errorf("table %s is no longer declared in %s: %w", p.Table, h.Catalog.cfg.TablesDir, asynq.SkipRetry)
	}
	// The declaration may have changed since the task was enqueued; its
	// timeout now is the one that counts.
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	job, err := connect.Open(ctx, h.Pools, t)
	if err != nil {
		return h.classify(t, err)
	}
	defer job.Close()
	rec, err := job.Run(ctx, datasync.Options{
		Trigger:      p.Trigger,
		AcceptSchema: p.AcceptSchema,
		Logger:       h.Log,
		Progress:     progressWriter(task.ResultWriter()),
	})
	if datasync.IsFenced(err) {
		// A newer run of the table (a second delivery of this task, or a
		// rewind) holds the table now and does the work; retrying this one
		// would only fence that one in turn.
		h.Log.Info().Str(datasync.FieldTable, t.Name).Int64(datasync.FieldRunID, rec.ID).Msg("run superseded by a newer run of the table; not retried")
		return nil
	}
	if err != nil {
		return h.classify(t, err)
	}
	return nil
}

// classify marks the errors no retry can fix, so Asynq archives the task
// at once instead of retrying it for half an hour; everything else
// (connections refused or cut, deadlocks, timeouts, a server restarting)
// is retried with backoff.
func (h *Handler) classify(t tables.Table, err error) error {
	if errors.Is(err, datasync.ErrDeclaration) || errors.Is(err, tables.ErrBadIdent) || errors.Is(err, tables.ErrUnknownConnection) {
		return fmt.Errorf("%s: %w (fix the declaration, then enqueue again): %w", t.Name, err, asynq.SkipRetry)
	}
	if errors.Is(err, datasync.ErrSchemaChanged) {
		// Stays so until someone makes the target match and accepts it.
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// progressWriter returns a datasync.Options.Progress that writes the run's
// progress as the task's result. A failed write only loses a report.
func progressWriter(w *asynq.ResultWriter) func(datasync.RunRecord) {
	if w == nil {
		return nil
	}
	return func(r datasync.RunRecord) {
		b, err := json.Marshal(Progress{
			RunID: r.ID, Started: r.Started, Rows: r.Read, Pages: r.Pages,
			Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged, Cursor: r.CursorAfter.String(),
		})
		if err == nil {
			_, _ = w.Write(b)
		}
	}
}
