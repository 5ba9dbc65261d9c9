package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// TypeSnapshotPart is the task type of one part of a table's snapshot.
const TypeSnapshotPart = "snapshot:part"

// ResultSnapshot is the result of a sync:table task that found the
// table's snapshot under way (or began one) and left the loading to its
// parts' tasks.
const ResultSnapshot = "snapshot"

// PartPayload is what a snapshot:part task carries: which part of which
// snapshot generation; the part's key range is in the target.
type PartPayload struct {
	Table      string `json:"table"`
	Generation int64  `json:"generation"`
	Part       int    `json:"part"`
}

// PartTaskID is the id of a part's task: one per table, generation and
// part, so a part is queued or running at most once.
func PartTaskID(table string, gen int64, part int) string {
	return fmt.Sprintf("snapshot:%s:%d:%d", table, gen, part)
}

// newPartTask returns the task of one part, with t's queue, timeout and
// retries.
func newPartTask(t tables.Table, gen int64, part int) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(PartPayload{Table: t.Name, Generation: gen, Part: part})
	if err != nil {
		return nil, nil, err
	}
	opts := []asynq.Option{asynq.Queue(queueOf(t)), asynq.TaskID(PartTaskID(t.Name, gen, part)), asynq.Timeout(t.Timeout), asynq.MaxRetry(MaxRetry)}
	return asynq.NewTask(TypeSnapshotPart, b), opts, nil
}

// EnqueueParts puts a task on the queue for every part of snap that is
// not done; a part already queued or running is left as it is, and an
// archived one (it failed past its retries) is queued again.
func (e *Enqueuer) EnqueueParts(ctx context.Context, t tables.Table, snap datasync.Snapshot, parts []datasync.PartState) (int, error) {
	queued := 0
	for _, p := range parts {
		if p.Done {
			continue
		}
		task, opts, err := newPartTask(t, snap.Generation, p.Part)
		if err != nil {
			return queued, err
		}
		out, err := e.enqueue(ctx, task, opts, queueOf(t), PartTaskID(t.Name, snap.Generation, p.Part))
		if err != nil {
			return queued, err
		}
		if out.Queued {
			queued++
		}
	}
	return queued, nil
}

// snapshot handles a sync:table task of a table that is, or should be,
// in a snapshot, and reports whether it did: while a snapshot runs, the
// task makes sure every part not done has its task (Redis may have lost
// them) and writes nothing itself; a table with no cursor begins a
// snapshot when StartSnapshot says it should have one. Anything else is
// an ordinary run, also when h.Parts is nil.
func (h *Handler) snapshot(ctx context.Context, t tables.Table, p Payload) (bool, error) {
	if h.Parts == nil {
		return false, nil
	}
	db, err := h.Pools.DB(ctx, t.Target.Connection)
	if err != nil {
		return false, nil // the ordinary path reports it
	}
	running, initial, ok, err := state.New(db).SnapshotGate(ctx, t.Name)
	if err == nil && !ok {
		// A target new to syncd (or to snapshots): its first load may be one.
		if db, err = connect.StateDB(ctx, h.Pools, t); err == nil {
			running, initial, _, err = state.New(db).SnapshotGate(ctx, t.Name)
		}
	}
	switch {
	case err != nil:
		return true, err
	case running:
		snap, parts, _, err := state.New(db).ReadSnapshot(ctx, t.Name)
		if err != nil {
			return true, err
		}
		return true, h.enqueueParts(ctx, t, snap, parts)
	case !initial:
		return false, nil
	}
	return h.beginSnapshot(ctx, db, t, p)
}

// beginSnapshot begins a snapshot of t and queues its parts; false when
// t is better loaded by an ordinary run.
func (h *Handler) beginSnapshot(ctx context.Context, db *sql.DB, t tables.Table, p Payload) (bool, error) {
	job, err := connect.Open(ctx, h.Pools, t)
	if err != nil {
		return false, nil // the ordinary path opens it again and reports it
	}
	defer job.Close()
	_, started, err := job.StartSnapshot(ctx, datasync.Options{Trigger: p.Trigger, Logger: h.Log})
	if err != nil && !errors.Is(err, datasync.ErrSnapshotRunning) {
		return true, h.classify(t, err)
	}
	if !started && err == nil {
		return false, nil
	}
	snap, parts, _, err := state.New(db).ReadSnapshot(ctx, t.Name)
	if err != nil {
		return true, err
	}
	h.Log.Info().Str(datasync.FieldTable, t.Name).Int64("generation", snap.Generation).Int("parts", snap.Parts).
		Str("bound", datasync.Position{Cursor: snap.Bound}.String()).Msg("snapshot begun")
	return true, h.enqueueParts(ctx, t, snap, parts)
}

func (h *Handler) enqueueParts(ctx context.Context, t tables.Table, snap datasync.Snapshot, parts []datasync.PartState) error {
	n, err := h.Parts.EnqueueParts(ctx, t, snap, parts)
	if err != nil {
		return err
	}
	h.Log.Info().Str(datasync.FieldTable, t.Name).Int64("generation", snap.Generation).Int("parts_done", snap.PartsDone).
		Int("parts", snap.Parts).Int("queued", n).Msg("snapshot under way; its parts load the table")
	h.done(t, ResultSnapshot, datasync.RunRecord{Table: t.Name})
	return nil
}

// processPart runs one snapshot:part task.
func (h *Handler) processPart(ctx context.Context, task *asynq.Task) error {
	var pp PartPayload
	if err := json.Unmarshal(task.Payload(), &pp); err != nil || pp.Table == "" {
		return permanent{fmt.Errorf("payload of %s: %v", TypeSnapshotPart, errOr(err, "no table"))}
	}
	t, err := h.declared(pp.Table)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	if paused, err := h.paused(ctx, t); err != nil || paused {
		return err // resumed, the table's next run queues the part again
	}
	job, err := connect.Open(ctx, h.Pools, t)
	if err != nil {
		h.notStarted(ctx, t, datasync.TriggerSnapshot, err)
		return h.classify(t, err)
	}
	defer job.Close()
	rec, err := job.RunPart(ctx, datasync.PartOptions{
		Options:    datasync.Options{Logger: h.Log, Progress: h.progress(t.Name, task.ResultWriter())},
		Generation: pp.Generation, Part: pp.Part,
	})
	return h.finish(t, rec, err)
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}
