package connect

import (
	"context"

	datasync "github.com/syncd/syncd/sync"
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
