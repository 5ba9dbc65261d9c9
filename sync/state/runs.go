package state

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// Run statuses in syncd_runs.
const (
	StatusRunning = "running"
	StatusOK      = "ok"
	StatusFailed  = "failed"
	// StatusPaused is a run stopped at a page boundary because the table
	// was paused while it ran.
	StatusPaused = "paused"
)

// abandoned is the error of a run that never recorded its end.
const abandoned = "the run did not record its end (its worker stopped or lost the target); a newer run took the table over"

// StartRun records the start of run r (datasync.Target.StartRun).
func (s *Store) StartRun(ctx context.Context, r datasync.RunRecord) (int64, error) {
	before, err := positionText(r.CursorBefore)
	if err != nil {
		return 0, err
	}
	// A run whose process died, or lost the target, could not record its
	// end; it would read "running" forever. Its version is older than the
	// state's now, which is how it is told apart from a run still going.
	if _, err := s.db.ExecContext(ctx, closeAbandoned,
		StatusFailed, r.Started.UTC(), abandoned, r.Table, StatusRunning); err != nil {
		return 0, fmt.Errorf("close abandoned runs in syncd_runs: %w", err)
	}
	res, err := s.db.ExecContext(ctx, "INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, cursor_before) "+
		"SELECT ?, ?, ?, version, ?, ? FROM syncd_state WHERE table_name = ?",
		r.Table, r.Trigger, StatusRunning, r.Started.UTC(), before, r.Table)
	if err != nil {
		return 0, fmt.Errorf("insert into syncd_runs: %w", err)
	}
	return res.LastInsertId()
}

// FinishRun records the end of run r (datasync.Target.FinishRun).
func (s *Store) FinishRun(ctx context.Context, r datasync.RunRecord) error {
	after, err := positionText(r.CursorAfter)
	if err != nil {
		return err
	}
	status, errText := StatusOK, sql.NullString{}
	switch {
	case r.Paused:
		status, errText = StatusPaused, sql.NullString{String: r.Error, Valid: true}
	case r.Error != "":
		status, errText = StatusFailed, sql.NullString{String: r.Error, Valid: true}
	}
	notes := sql.NullString{String: r.Notes, Valid: r.Notes != ""}
	_, err = s.db.ExecContext(ctx, "UPDATE syncd_runs SET status = ?, ended_at = ?, rows_read = ?, rows_inserted = ?, rows_updated = ?, "+
		"rows_unchanged = ?, rows_rejected = ?, rows_deleted = ?, rows_late = ?, pages = ?, cursor_after = ?, error = ?, notes = ? WHERE id = ?",
		status, r.Ended.UTC(), r.Read, r.Inserted, r.Updated, r.Unchanged, r.Rejected, r.Deleted, r.Late, r.Pages, after, errText, notes, r.ID)
	if err != nil {
		return fmt.Errorf("update syncd_runs: %w", err)
	}
	return s.recordLate(ctx, r)
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

// RunRow is one row of syncd_runs as stored: positions are the text the
// run log keeps, for people to read.
type RunRow struct {
	ID           int64      `json:"id"`
	Table        string     `json:"table"`
	Trigger      string     `json:"trigger"`
	Status       string     `json:"status"`
	Started      time.Time  `json:"started"`
	Ended        *time.Time `json:"ended,omitempty"`
	Read         int64      `json:"rows_read"`
	Inserted     int64      `json:"rows_inserted"`
	Updated      int64      `json:"rows_updated"`
	Unchanged    int64      `json:"rows_unchanged"`
	Rejected     int64      `json:"rows_rejected"`
	Deleted      int64      `json:"rows_deleted"`
	Late         int64      `json:"rows_late"`
	Pages        int        `json:"pages"`
	CursorBefore string     `json:"cursor_before,omitempty"`
	CursorAfter  string     `json:"cursor_after,omitempty"`
	Error        string     `json:"error,omitempty"`
	// Repeated counts the later failures with the same error folded into
	// this failed run, and RepeatedAt is when the newest happened.
	// Permanent says no retry fixes the failure.
	Repeated   int64      `json:"repeated,omitempty"`
	RepeatedAt *time.Time `json:"repeated_at,omitempty"`
	Permanent  bool       `json:"permanent,omitempty"`
}

// LastFailed is when a failed run last failed: the newest failure folded
// into it, else its end.
func (r RunRow) LastFailed() *time.Time {
	if r.RepeatedAt != nil {
		return r.RepeatedAt
	}
	return r.Ended
}

// RunFilter selects rows of syncd_runs.
type RunFilter struct {
	Table   string
	AfterID int64  // only runs with a larger id
	Failed  bool   // only failed runs
	Trigger string // only runs of this trigger, when set
	// Since keeps only runs started at or after it, when set. The scan
	// still walks the (table_name, id) index newest first and stops at
	// Limit.
	Since time.Time
	Limit int // 0: 100
}

// ListRuns returns the runs of f.Table that f selects, newest first; none
// when the state tables do not exist yet.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) ([]RunRow, error) {
	q := "SELECT " + runColumns + " FROM syncd_runs WHERE table_name = ? AND id > ?"
	args := []any{f.Table, f.AfterID}
	if f.Failed {
		q += " AND status = ?"
		args = append(args, StatusFailed)
	}
	if f.Trigger != "" {
		q += " AND `trigger` = ?"
		args = append(args, f.Trigger)
	}
	if !f.Since.IsZero() {
		q += " AND started_at >= ?"
		args = append(args, f.Since.UTC())
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, cmp.Or(f.Limit, 100))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if noStateTables(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read syncd_runs: %w", err)
	}
	defer rows.Close()
	var out []RunRow
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("read syncd_runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read syncd_runs: %w", err)
	}
	return out, nil
}

// runColumns are the columns scanRun reads, in its order.
const runColumns = "id, table_name, `trigger`, status, started_at, ended_at, rows_read, rows_inserted, rows_updated, " +
	"rows_unchanged, rows_rejected, rows_deleted, rows_late, pages, cursor_before, cursor_after, error, repeated, repeated_at, permanent"

// scanRun reads one row of runColumns.
func scanRun(rows *sql.Rows) (RunRow, error) {
	var r RunRow
	var ended, repeatedAt sql.NullTime
	var before, after, errText sql.NullString
	if err := rows.Scan(&r.ID, &r.Table, &r.Trigger, &r.Status, &r.Started, &ended, &r.Read, &r.Inserted, &r.Updated,
		&r.Unchanged, &r.Rejected, &r.Deleted, &r.Late, &r.Pages, &before, &after, &errText, &r.Repeated, &repeatedAt, &r.Permanent); err != nil {
		return r, err
	}
	if ended.Valid {
		r.Ended = &ended.Time
	}
	if repeatedAt.Valid {
		r.RepeatedAt = &repeatedAt.Time
	}
	r.CursorBefore, r.CursorAfter, r.Error = before.String, after.String, errText.String
	return r, nil
}

// LastRunID returns the id of the table's newest run, 0 for none.
func (s *Store) LastRunID(ctx context.Context, table string) (int64, error) {
	var id sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(id) FROM syncd_runs WHERE table_name = ?", table).Scan(&id); err != nil {
		return 0, fmt.Errorf("read syncd_runs: %w", err)
	}
	return id.Int64, nil
}

// LastSuccess returns when the table's newest successful run started and
// ended; ok is false when none did.
func (s *Store) LastSuccess(ctx context.Context, table string) (started, ended time.Time, ok bool, err error) {
	var t sql.NullTime
	// Newest first along the (table_name, id) index: it stops at the
	// first ok run instead of reading the table's whole history.
	err = s.db.QueryRowContext(ctx, "SELECT started_at, ended_at FROM syncd_runs WHERE table_name = ? AND status = ? ORDER BY id DESC LIMIT 1",
		table, StatusOK).Scan(&started, &t)
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) {
		return started, ended, false, nil
	}
	if err != nil {
		return started, ended, false, fmt.Errorf("read syncd_runs: %w", err)
	}
	return started, t.Time, t.Valid, nil
}

// LastSuccessBefore returns the table's newest successful run started
// before t; ok is false when none did. It walks the (table_name, id)
// index newest first and stops at the first match.
func (s *Store) LastSuccessBefore(ctx context.Context, table string, t time.Time) (r RunRow, ok bool, err error) {
	var ended sql.NullTime
	err = s.db.QueryRowContext(ctx, "SELECT id, started_at, ended_at, rows_read FROM syncd_runs "+
		"WHERE table_name = ? AND status = ? AND started_at < ? ORDER BY id DESC LIMIT 1",
		table, StatusOK, t.UTC()).Scan(&r.ID, &r.Started, &ended, &r.Read)
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read syncd_runs of %s: %w", table, err)
	}
	if ended.Valid {
		r.Ended = &ended.Time
	}
	r.Table, r.Status = table, StatusOK
	return r, true, nil
}

// RecordDeleted records on run runID the rows a reconcile deleted or
// marked (datasync.Reconciler.RecordDeleted).
func (s *Store) RecordDeleted(ctx context.Context, runID, n int64) error {
	if _, err := s.db.ExecContext(ctx, "UPDATE syncd_runs SET rows_deleted = ? WHERE id = ?", n, runID); err != nil {
		return fmt.Errorf("record rows deleted by run %d in syncd_runs: %w", runID, err)
	}
	return nil
}
