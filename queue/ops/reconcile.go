package ops

import (
	"context"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// EnqueueReconcile queues a reconcile of t now (a reconcile:table task,
// as the table's reconcile: schedule queues it); one already queued or
// running is not an error: the Outcome says so.
func (s *Service) EnqueueReconcile(ctx context.Context, t tables.Table) (queue.Outcome, error) {
	return s.enq.EnqueueReconcile(ctx, t, datasync.TriggerManual)
}
