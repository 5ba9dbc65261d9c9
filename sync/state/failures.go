package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// failureSchema (part of version 9) folds a failure that repeats, word
// for word, into the failed run it repeats: a table that cannot start (a
// missing column, a target that refuses it) fails at every tick, and
// would otherwise add a line at each.
var failureSchema = []string{
	`ALTER TABLE syncd_runs
		ADD COLUMN repeated BIGINT NOT NULL DEFAULT 0 COMMENT 'later identical failures folded into this failed run',
		ADD COLUMN repeated_at DATETIME(6) NULL COMMENT 'when the newest of them failed',
		ADD COLUMN permanent TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'no retry fixes the failure: the table is broken until it changes'`,
}

// RecordFailure writes a failed run that never started: the error that
// stopped the table before a run could begin (a source that refuses the
// login, a column the declaration names and the source lacks, a target
// with the wrong keys), so that the run log and status show it. When the
// table's newest run failed with the same error, the failure is counted
// on that run (repeated, repeated_at) instead of adding a line. permanent
// says no retry fixes it (the table is broken until it changes).
func (s *Store) RecordFailure(ctx context.Context, table, trigger string, at time.Time, errText string, permanent bool) error {
	err := s.recordFailure(ctx, table, trigger, at, errText, permanent)
	if err != nil {
		return fmt.Errorf("record failure of %s in syncd_runs: %w", table, err)
	}
	return nil
}

func (s *Store) recordFailure(ctx context.Context, table, trigger string, at time.Time, errText string, permanent bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var id int64
	var status string
	var last sql.NullString
	var lastAt time.Time
	// Locked, so that two workers failing at once fold into one line.
	err = tx.QueryRowContext(ctx, "SELECT id, status, error, COALESCE(repeated_at, ended_at, started_at) FROM syncd_runs "+
		"WHERE table_name = ? ORDER BY id DESC LIMIT 1 FOR UPDATE", table).Scan(&id, &status, &last, &lastAt)
	switch {
	case err == nil && status == StatusFailed && last.String == errText && !s.succeededSince(ctx, tx, table, lastAt):
		_, err = tx.ExecContext(ctx, "UPDATE syncd_runs SET repeated = repeated + 1, repeated_at = ?, permanent = ? WHERE id = ?", at.UTC(), permanent, id)
	case err == nil || errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, "INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at, error, permanent) "+
			"SELECT ?, ?, ?, COALESCE((SELECT version FROM syncd_state WHERE table_name = ?), 0), ?, ?, ?, ?",
			table, trigger, StatusFailed, table, at.UTC(), at.UTC(), errText, permanent)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// succeededSince reports whether a run of table that found nothing, one
// folded into its state (see FoldEmpty), ended after t: such a success
// has no line of its own that would part two failures.
func (s *Store) succeededSince(ctx context.Context, tx *sql.Tx, table string, t time.Time) bool {
	var ended sql.NullTime
	err := tx.QueryRowContext(ctx, "SELECT last_empty_ended FROM syncd_state WHERE table_name = ?", table).Scan(&ended)
	return err == nil && ended.Valid && ended.Time.After(t)
}
