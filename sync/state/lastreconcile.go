package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// ReconcileRow is a table's newest reconcile in the run log, as status
// shows it.
type ReconcileRow struct {
	RunID   int64      `json:"run_id"`
	Status  string     `json:"status"`
	Started time.Time  `json:"started"`
	Ended   *time.Time `json:"ended,omitempty"`
	// Deleted counts the target rows it deleted (or marked deleted);
	// Inserted and Updated the rows it wrote again.
	Deleted  int64  `json:"rows_deleted"`
	Inserted int64  `json:"rows_inserted"`
	Updated  int64  `json:"rows_updated"`
	Error    string `json:"error,omitempty"`
}

// LastReconcile returns table's newest run with trigger reconcile, nil
// when it has none (or the state tables do not exist yet). It walks the
// (table_name, id) index newest first and stops at the first reconcile:
// at worst the table's whole run log (runs.keep bounds it) when none is
// there.
func (s *Store) LastReconcile(ctx context.Context, table string) (*ReconcileRow, error) {
	var r ReconcileRow
	var ended sql.NullTime
	var msg sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT id, status, started_at, ended_at, rows_deleted, rows_inserted, rows_updated, error FROM syncd_runs "+
		"WHERE table_name = ? AND `trigger` = ? ORDER BY id DESC LIMIT 1", table, datasync.TriggerReconcile).
		Scan(&r.RunID, &r.Status, &r.Started, &ended, &r.Deleted, &r.Inserted, &r.Updated, &msg)
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the last reconcile of %s in syncd_runs: %w", table, err)
	}
	if ended.Valid {
		r.Ended = &ended.Time
	}
	r.Error = msg.String
	return &r, nil
}
