package state

import (
	"context"

	datasync "github.com/syncd/syncd/sync"
)

// LastReconcile returns table's newest run with trigger reconcile, nil
// when it has none (or the state tables do not exist yet). Its Deleted
// counts the target rows it deleted (or marked deleted); Inserted and
// Updated the rows it wrote again. It walks the (table_name, id) index
// newest first and stops at the first reconcile: at worst the table's
// whole run log (runs.keep bounds it) when none is there.
func (s *Store) LastReconcile(ctx context.Context, table string) (*RunRow, error) {
	runs, err := s.ListRuns(ctx, RunFilter{Table: table, Trigger: datasync.TriggerReconcile, Limit: 1})
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	return &runs[0], nil
}
