package queue

import (
	"context"

	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Pause pauses t in its target's state store: its tasks end at once
// without reading the source, and a run in progress stops at its next
// page boundary. It touches only the target, so a source down for
// maintenance is no obstacle.
func Pause(ctx context.Context, pools *connect.Pools, t tables.Table) error {
	db, err := connect.StateDB(ctx, pools, t)
	if err != nil {
		return err
	}
	return state.New(db).SetPaused(ctx, t.Name, true)
}

// Resume lifts a pause. The next run continues from the stored
// position; enqueue one to sync now rather than at the next tick.
func Resume(ctx context.Context, pools *connect.Pools, t tables.Table) error {
	db, err := connect.StateDB(ctx, pools, t)
	if err != nil {
		return err
	}
	return state.New(db).SetPaused(ctx, t.Name, false)
}
