package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PruneRuns deletes at most limit of table's runs in syncd_runs that
// started before before, oldest first, and returns how many it deleted.
// It never deletes a run still marked running, the table's newest run, or
// its newest successful run, so that "last run" and "last success" stay
// answerable whatever the retention. None when the state tables do not
// exist yet.
func (s *Store) PruneRuns(ctx context.Context, table string, before time.Time, limit int) (int64, error) {
	var newest, newestOK sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT (SELECT MAX(id) FROM syncd_runs WHERE table_name = ?), "+
		"(SELECT MAX(id) FROM syncd_runs WHERE table_name = ? AND status = ?)", table, table, StatusOK).Scan(&newest, &newestOK)
	if noStateTables(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("prune syncd_runs of %s: %w", table, err)
	}
	if !newest.Valid {
		return 0, nil
	}
	keepFrom := newest.Int64
	if newestOK.Valid {
		keepFrom = min(keepFrom, newestOK.Int64)
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM syncd_runs WHERE table_name = ? AND started_at < ? AND status <> ? AND id < ? ORDER BY id LIMIT ?",
		table, before.UTC(), StatusRunning, keepFrom, limit)
	if err != nil {
		return 0, fmt.Errorf("prune syncd_runs of %s: %w", table, err)
	}
	return res.RowsAffected()
}
