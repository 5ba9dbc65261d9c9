package ops

import (
	"context"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Pause pauses t in its target's state store: its tasks end at once
// without reading the source, and a run in progress stops at its next
// page boundary. It touches only the target, so a source down for
// maintenance is no obstacle.
func (s *Service) Pause(ctx context.Context, t tables.Table) error {
	st, err := s.ensured(ctx, t)
	if err != nil {
		return err
	}
	return st.SetPaused(ctx, t.Name, true)
}

// Resumed is what Resume did: the pause is lifted, and a sync was queued
// (Outcome) or could not be (NotQueued, and the schedule takes the table
// up at its next tick).
type Resumed struct {
	Outcome   queue.Outcome
	NotQueued error
}

// Resume lifts t's pause and queues a sync of it now, which continues
// from the stored position. Lifting the pause is the operation: when it
// fails, Resume fails. A sync that cannot be queued (Redis down) is no
// failure of the resume; Resumed.NotQueued says why, and the CLI and the
// API both report it so.
func (s *Service) Resume(ctx context.Context, t tables.Table) (Resumed, error) {
	st, err := s.ensured(ctx, t)
	if err != nil {
		return Resumed{}, err
	}
	if err := st.SetPaused(ctx, t.Name, false); err != nil {
		return Resumed{}, err
	}
	out, err := s.enq.Enqueue(ctx, t, datasync.TriggerManual)
	return Resumed{Outcome: out, NotQueued: err}, nil
}

// Cancel asks the worker running t's sync to stop it at its next page;
// the queue retries it later. It reports whether a sync was running.
func (s *Service) Cancel(t tables.Table) (bool, error) {
	return s.enq.Cancel(t)
}
