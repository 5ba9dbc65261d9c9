package ops

import (
	"context"
	"errors"
	"time"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// EnqueueOptions say what Enqueue does besides queueing a sync.
type EnqueueOptions struct {
	// Rewind moves the stored position first: to From, or, with From
	// nil, to the start (a full re-sync).
	Rewind bool
	From   any
	// AcceptSchema takes a change of the source's columns as it is.
	AcceptSchema bool
	// Follow says the caller follows the run afterwards: Enqueued.LastRun
	// is then read, for Follow to tell the new run from older ones.
	Follow bool
	// Note, when set, hears the steps Enqueue takes ("rewound to ...",
	// "waiting for the running sync ...").
	Note func(string)
}

// Enqueued is what Enqueue did.
type Enqueued struct {
	Outcome queue.Outcome
	// LastRun is the id of the table's newest run before the enqueue (0
	// for none), read when EnqueueOptions.Follow or Rewind is set.
	LastRun int64
}

// RewindWait bounds how long Enqueue waits, after a rewind, for the sync
// that was running to stop at its next page.
var RewindWait = 2 * time.Minute

// ErrStillRunning is returned by Enqueue when the sync running before a
// rewind has not stopped within RewindWait.
var ErrStillRunning = errors.New("the sync running before the rewind has not stopped after 2 minutes; the rewind stands, and the table's next run starts from it")

// Enqueue queues a sync of t now; with o.Rewind it rewinds t first and
// then, while the sync that was running still holds the table's task,
// waits for it to stop at its next page (fenced by the rewind) and queues
// again, so that the rewound run is not lost as "already queued" behind
// it.
func (s *Service) Enqueue(ctx context.Context, t tables.Table, o EnqueueOptions) (Enqueued, error) {
	var res Enqueued
	p := queue.Payload{Trigger: trigger(o), AcceptSchema: o.AcceptSchema}
	if o.Follow || o.Rewind {
		st, err := s.ensured(ctx, t)
		if err != nil {
			return res, err
		}
		if res.LastRun, err = st.LastRunID(ctx, t.Name); err != nil {
			return res, err
		}
	}
	if o.Rewind {
		if err := s.Rewind(ctx, t, o.From); err != nil {
			return res, err
		}
		o.note("rewound to " + RewindPoint(o.From))
	}
	out, err := s.enq.EnqueuePayload(ctx, t, p)
	if err == nil && o.Rewind && out.Already == "active" {
		o.note("waiting for the running sync to stop at its next page")
		out, err = s.requeue(ctx, t, p)
	}
	res.Outcome = out
	return res, err
}

// requeue queues p again every half second while t's task is still the
// one that was running, up to RewindWait.
func (s *Service) requeue(ctx context.Context, t tables.Table, p queue.Payload) (queue.Outcome, error) {
	deadline := time.Now().Add(RewindWait)
	for {
		if time.Now().After(deadline) {
			return queue.Outcome{}, ErrStillRunning
		}
		select {
		case <-ctx.Done():
			return queue.Outcome{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		out, err := s.enq.EnqueuePayload(ctx, t, p)
		if err != nil || out.Already != "active" {
			return out, err
		}
	}
}

// trigger is the trigger of the run Enqueue queues.
func trigger(o EnqueueOptions) string {
	switch {
	case o.Rewind && o.From == nil:
		return datasync.TriggerFull
	case o.Rewind:
		return datasync.TriggerRewind
	}
	return datasync.TriggerManual
}

func (o EnqueueOptions) note(s string) {
	if o.Note != nil {
		o.Note(s)
	}
}
