package connect

import (
	"context"
	"errors"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
)

// StartSnapshot begins a snapshot of the job's table when it should have
// one (see datasync.StartSnapshot).
func (j *Job) StartSnapshot(ctx context.Context, o datasync.Options) (datasync.Snapshot, bool, error) {
	o.Table, o.Source, o.Target, o.Mapping = j.Table, j.Source, j.Target, j.Mapping
	return datasync.StartSnapshot(ctx, o)
}

// RunPart loads one part of the job's table's snapshot (see
// datasync.RunPart).
func (j *Job) RunPart(ctx context.Context, o datasync.PartOptions) (datasync.RunRecord, error) {
	o.Table, o.Source, o.Target, o.Mapping = j.Table, j.Source, j.Target, j.Mapping
	return datasync.RunPart(ctx, o)
}

// LoadSnapshot loads the job's table by snapshot in this process, one
// part after the other, when a snapshot of it is under way or its load
// should begin one (a table with no cursor and a million source rows or
// more, or snapshot.parts declared; see datasync.StartSnapshot), and
// reports whether it did. It is how `syncd sync` takes a first load,
// without a queue: the parts, their state and their fencing are a
// worker's, so a snapshot begun by workers can end here and the other
// way round.
func (j *Job) LoadSnapshot(ctx context.Context, p *Pools, o datasync.Options) (bool, error) {
	db, err := StateDB(ctx, p, j.Table)
	if err != nil {
		return false, err
	}
	st := state.New(db)
	running, initial, _, err := st.SnapshotGate(ctx, j.Table.Name)
	if err != nil || (!running && !initial) {
		return false, err
	}
	if !running {
		_, started, err := j.StartSnapshot(ctx, o)
		if err != nil && !errors.Is(err, datasync.ErrSnapshotRunning) {
			return true, err
		}
		if !started && err == nil {
			return false, nil // better loaded by an ordinary run
		}
	}
	snap, parts, _, err := st.ReadSnapshot(ctx, j.Table.Name)
	if err != nil {
		return true, err
	}
	for _, part := range parts {
		if part.Done {
			continue
		}
		if _, err := j.RunPart(ctx, datasync.PartOptions{Options: o, Generation: snap.Generation, Part: part.Part}); err != nil {
			return true, err
		}
	}
	return true, nil
}
