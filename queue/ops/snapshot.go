package ops

import (
	"context"
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// FollowSnapshot waits, after t's task has left the queue, for the
// snapshot it began or found to end, calling report every interval with
// the snapshot and its parts; followed is false when no snapshot runs.
// A snapshot given up for a newer one (--full) is an error.
func (s *Service) FollowSnapshot(ctx context.Context, t tables.Table, every time.Duration,
	report func(datasync.Snapshot, []datasync.PartState)) (snap datasync.Snapshot, followed bool, err error) {
	st, err := s.store(ctx, t)
	if err != nil {
		return snap, false, err
	}
	snap, parts, ok, err := st.ReadSnapshot(ctx, t.Name)
	if err != nil || !ok || !snap.Running {
		return snap, false, err
	}
	gen := snap.Generation
	for snap.Running && snap.Generation == gen {
		report(snap, parts)
		select {
		case <-ctx.Done():
			return snap, true, ctx.Err()
		case <-time.After(every):
		}
		if snap, parts, _, err = st.ReadSnapshot(ctx, t.Name); err != nil {
			return snap, true, err
		}
	}
	if snap.Generation != gen || !snap.Done {
		return snap, true, fmt.Errorf("%s: snapshot %d was given up (a --full began snapshot %d)", t.Name, gen, snap.Generation)
	}
	return snap, true, nil
}
