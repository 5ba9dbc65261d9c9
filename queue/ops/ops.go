// Package ops is syncd's operations service: what an operator does to a
// declared table (pause, resume, cancel, rewind and enqueue, status, the
// run log, rejects, check, plan, verify, reconcile), with its policy and
// its failure handling written once. The CLI and the HTTP API of
// cmd/syncd are thin layers over it: they parse, call one method, and
// print or answer what it returns.
package ops

import (
	"context"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Service runs operations on declared tables over shared connection pools
// and, for what touches the queue, an Enqueuer. It owns neither.
type Service struct {
	pools  *connect.Pools
	enq    *queue.Enqueuer
	status *queue.StatusReader
}

// New returns a Service over pools and enq; enq may be nil for a caller
// that never touches the queue (rejects, runs, check).
func New(pools *connect.Pools, enq *queue.Enqueuer) *Service {
	s := &Service{pools: pools, enq: enq}
	if enq != nil {
		s.status = queue.NewStatusReader(pools, enq.Inspector())
	}
	return s
}

// Status reads where each of ts stands (queue.StatusReader.Read). The
// Service keeps its reader, and with it the sources the reader keeps
// open between reads.
func (s *Service) Status(ctx context.Context, ts []tables.Table) []queue.TableStatus {
	return s.status.Read(ctx, ts)
}

// store returns the state store of t's target, without creating the
// state tables: readers take their absence as "never synced".
func (s *Service) store(ctx context.Context, t tables.Table) (*state.Store, error) {
	db, err := s.pools.DB(ctx, t.Target.Connection)
	if err != nil {
		return nil, err
	}
	return state.New(db), nil
}

// ensured returns the state store of t's target with its state tables
// created or upgraded: for the operations that write state.
func (s *Service) ensured(ctx context.Context, t tables.Table) (*state.Store, error) {
	return connect.Store(ctx, s.pools, t)
}
