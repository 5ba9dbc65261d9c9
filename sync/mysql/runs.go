package mysql

import (
	"context"
	"database/sql"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
)

// Run statuses in syncd_runs.
const (
	StatusRunning = "running"
	StatusOK      = "ok"
	StatusFailed  = "failed"
)

// StartRun implements datasync.Target.
func (t *Target) StartRun(ctx context.Context, r datasync.RunRecord) (int64, error) {
	before, err := positionText(r.CursorBefore)
	if err != nil {
		return 0, err
	}
	res, err := t.db.ExecContext(ctx, "INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, cursor_before) "+
		"SELECT ?, ?, ?, version, ?, ? FROM syncd_state WHERE table_name = ?",
		r.Table, r.Trigger, StatusRunning, r.Started.UTC(), before, r.Table)
	if err != nil {
		return 0, fmt.Errorf("insert into syncd_runs: %w", err)
	}
	return res.LastInsertId()
}

// FinishRun implements datasync.Target.
func (t *Target) FinishRun(ctx context.Context, r datasync.RunRecord) error {
	after, err := positionText(r.CursorAfter)
	if err != nil {
		return err
	}
	status, errText := StatusOK, sql.NullString{}
	if r.Error != "" {
		status, errText = StatusFailed, sql.NullString{String: r.Error, Valid: true}
	}
	notes := sql.NullString{String: r.Notes, Valid: r.Notes != ""}
	_, err = t.db.ExecContext(ctx, "UPDATE syncd_runs SET status = ?, ended_at = ?, rows_read = ?, rows_inserted = ?, rows_updated = ?, "+
		"rows_unchanged = ?, pages = ?, cursor_after = ?, error = ?, notes = ? WHERE id = ?",
		status, r.Ended.UTC(), r.Read, r.Inserted, r.Updated, r.Unchanged, r.Pages, after, errText, notes, r.ID)
	if err != nil {
		return fmt.Errorf("update syncd_runs: %w", err)
	}
	return nil
}

// positionText renders a position for the run log, NULL for none.
func positionText(p datasync.Position) (sql.NullString, error) {
	if p.IsZero() {
		return sql.NullString{}, nil
	}
	cur, key, err := datasync.EncodePosition(p)
	if err != nil {
		return sql.NullString{}, err
	}
	s := *cur
	if key != nil {
		s += " " + *key
	}
	return sql.NullString{String: s, Valid: true}, nil
}
