package ops

import (
	"context"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/tables"
)

// Check returns what is wrong with t against its servers: the source's
// columns, keys and indexes, the target table's keys, schema drift.
func (s *Service) Check(ctx context.Context, t tables.Table) []datasync.Problem {
	return connect.Check(ctx, s.pools, t)
}

// Plan returns the target table t's source calls for, and its CREATE
// TABLE statement.
func (s *Service) Plan(ctx context.Context, t tables.Table) (datasync.TableDef, string, error) {
	return connect.Plan(ctx, s.pools, t)
}

// Verify compares t's source and target by checksums over key ranges.
func (s *Service) Verify(ctx context.Context, t tables.Table, ranges int) (datasync.VerifyReport, error) {
	return connect.Verify(ctx, s.pools, t, ranges)
}

// Reconcile finds the target rows whose key left the source, and deletes
// or marks them as t declares.
func (s *Service) Reconcile(ctx context.Context, t tables.Table, o datasync.ReconcileOptions) (datasync.ReconcileReport, error) {
	return connect.Reconcile(ctx, s.pools, t, o)
}
