package mysqltarget

import (
	"context"

	datasync "github.com/syncd/syncd/sync"
)

// The target keeps the table's state, run log and rejects in the same
// database as its rows; what it does there is the state store's
// (sync/state), which these methods hand on to.
var (
	_ datasync.Target        = (*Target)(nil)
	_ datasync.Peeker        = (*Target)(nil)
	_ datasync.SchemaTarget  = (*Target)(nil)
	_ datasync.RejectRetrier = (*Target)(nil)
	_ datasync.Reconciler    = (*Target)(nil)
)

// StartRun implements datasync.Target.
func (t *Target) StartRun(ctx context.Context, r datasync.RunRecord) (int64, error) {
	return t.store.StartRun(ctx, r)
}

// FinishRun implements datasync.Target.
func (t *Target) FinishRun(ctx context.Context, r datasync.RunRecord) error {
	return t.store.FinishRun(ctx, r)
}

// Peek implements datasync.Peeker.
func (t *Target) Peek(ctx context.Context, table string) (datasync.Peek, bool, error) {
	return t.store.Peek(ctx, table)
}

// FoldEmpty implements datasync.Peeker.
func (t *Target) FoldEmpty(ctx context.Context, p datasync.Peek, r datasync.RunRecord) (bool, error) {
	return t.store.FoldEmpty(ctx, p, r)
}

// SeenColumns implements datasync.SchemaTarget.
func (t *Target) SeenColumns(ctx context.Context, table string) ([]datasync.ColumnInfo, error) {
	return t.store.SeenColumns(ctx, table)
}

// KeepColumns implements datasync.SchemaTarget.
func (t *Target) KeepColumns(ctx context.Context, st datasync.State, cols []datasync.ColumnInfo) error {
	return t.store.KeepColumns(ctx, st, cols)
}

// RejectedKeys implements datasync.RejectRetrier: the keys of the table's
// rejected rows, oldest first.
func (t *Target) RejectedKeys(ctx context.Context, table string) ([][]any, error) {
	return t.store.RejectedKeys(ctx, table)
}

// RecordDeleted implements datasync.Reconciler.
func (t *Target) RecordDeleted(ctx context.Context, runID, n int64) error {
	return t.store.RecordDeleted(ctx, runID, n)
}
