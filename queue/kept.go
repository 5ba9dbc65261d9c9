package queue

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// runKept runs t with the setup h.Jobs keeps. A kept setup reads nothing
// before the run: the run's first read of the state tells a paused table
// (see datasync.Peeker). A setup made now is made only after the pause
// check, which spares a paused table's source. A kept setup the source
// no longer matches is made again, and the table run once more.
func (h *Handler) runKept(ctx context.Context, task *asynq.Task, t tables.Table, p Payload) error {
	for attempt := 0; ; attempt++ {
		if !h.Jobs.Kept(t) {
			if paused, err := h.paused(ctx, t); err != nil || paused {
				return err
			}
		}
		job, cached, err := h.Jobs.Take(ctx, t)
		if err != nil {
			h.notStarted(ctx, t, p.Trigger, err)
			return h.classify(t, err)
		}
		if job.Created && !cached {
			h.Log.Info().Str(datasync.FieldTable, t.Name).Str("target_table", t.Target.Table).Msg("created the target table (target.create)")
		}
		rec, err := job.Run(ctx, datasync.Options{
			Trigger:      p.Trigger,
			AcceptSchema: p.AcceptSchema,
			Logger:       h.Log,
			Progress:     h.progress(t.Name, task.ResultWriter()),
			Cached:       cached,
			Limiter:      h.Rates.For(t),
		})
		h.Jobs.Give(job, t, err)
		if errors.Is(err, datasync.ErrSetupStale) && attempt == 0 {
			continue
		}
		return h.finish(t, rec, err)
	}
}
