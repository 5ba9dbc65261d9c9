package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
)

// Claim raises the table's fencing version and reads its state: the
// start of every run (datasync.Target.Claim).
func (s *Store) Claim(ctx context.Context, table string) (datasync.State, error) {
	st, err := s.claim(ctx, table)
	if err != nil {
		return st, fmt.Errorf("claim state of %s: %w", table, err)
	}
	return st, nil
}

// claim raises the table's fencing version and reads its state in one
// transaction, so that the state returned is exactly what the new version
// took over: a page of an older run either committed before (and is in the
// state) or will find its version stale.
func (s *Store) claim(ctx context.Context, table string) (datasync.State, error) {
	st := datasync.State{Table: table}
	if _, err := s.db.ExecContext(ctx, "INSERT IGNORE INTO syncd_state (table_name) VALUES (?)", table); err != nil {
		return st, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.ExecContext(ctx, "UPDATE syncd_state SET version = version + 1 WHERE table_name = ?", table); err != nil {
		return st, err
	}
	var cur, key sql.NullString
	row := tx.QueryRowContext(ctx, "SELECT version, cursor_value, last_key, paused FROM syncd_state WHERE table_name = ?", table)
	if err := row.Scan(&st.Version, &cur, &key, &st.Paused); err != nil {
		return st, err
	}
	if st.Position, err = datasync.DecodePosition(nullable(cur), nullable(key)); err != nil {
		return st, fmt.Errorf("stored position: %w", err)
	}
	return st, tx.Commit()
}

func nullable(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// MoveState sets the table's position inside the page's transaction tx,
// only while version is still the table's, and adds what the transaction
// wrote to its run's counts (see Added): they commit with the rows, so a
// run killed after its pages committed is closed with their counts.
// pages = pages + 1 makes every update change the row, so that 0 rows
// affected can only mean a stale version.
func (s *Store) MoveState(ctx context.Context, tx *sql.Tx, table string, version int64, pos datasync.Position, added Added) error {
	cur, key, err := datasync.EncodePosition(pos)
	if err != nil {
		return err
	}
	args := append([]any{cur, key}, addArgs(version, added)...)
	res, err := tx.ExecContext(ctx, "UPDATE syncd_state SET cursor_value = ?, last_key = ?, pages = pages + 1, "+addCounts+
		" WHERE table_name = ? AND version = ?", append(args, table, version)...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return s.Fenced(ctx, tx, table)
	}
	return nil
}

// Fenced tells, inside tx, why a write found its version stale: the table
// was paused (ErrPaused), or a newer run took it over (ErrFenced).
func (s *Store) Fenced(ctx context.Context, tx *sql.Tx, table string) error {
	var paused bool
	// A locking read: a plain one would see the transaction's snapshot,
	// taken before the pause, where the UPDATE saw the latest row.
	// LOCK IN SHARE MODE is understood by MySQL and MariaDB alike.
	q := "SELECT paused FROM syncd_state WHERE table_name = ? LOCK IN SHARE MODE"
	if err := tx.QueryRowContext(ctx, q, table).Scan(&paused); err == nil && paused {
		return datasync.ErrPaused
	}
	return datasync.ErrFenced
}

// VersionForUpdate reads the table's fencing version inside tx and locks
// its state row until tx ends: a change made in tx then commits only while
// the version read still holds.
func (s *Store) VersionForUpdate(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var version int64
	err := tx.QueryRowContext(ctx, "SELECT version FROM syncd_state WHERE table_name = ? FOR UPDATE", table).Scan(&version)
	return version, err
}

// Rewind sets a table's stored position to pos, or back to an initial
// load when pos is zero, and raises its fencing version in the same
// statement: a run in progress then finds its version stale at its next
// page and stops, instead of moving the position past the rewind.
func (s *Store) Rewind(ctx context.Context, table string, pos datasync.Position) error {
	var cur, key *string
	if !pos.IsZero() {
		var err error
		if cur, key, err = datasync.EncodePosition(pos); err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, "INSERT INTO syncd_state (table_name, cursor_value, last_key, version) VALUES (?, ?, ?, 1) "+
		"ON DUPLICATE KEY UPDATE cursor_value = VALUES(cursor_value), last_key = VALUES(last_key), version = version + 1",
		table, cur, key)
	if err != nil {
		return fmt.Errorf("rewind %s: %w", table, err)
	}
	return nil
}

// ReadState returns a table's stored state without claiming it; ok is
// false when the table has never been synced (or paused), also when the
// state tables do not exist yet.
func (s *Store) ReadState(ctx context.Context, table string) (st datasync.State, ok bool, err error) {
	st.Table = table
	var cur, key sql.NullString
	err = s.db.QueryRowContext(ctx, "SELECT version, cursor_value, last_key, paused FROM syncd_state WHERE table_name = ?", table).
		Scan(&st.Version, &cur, &key, &st.Paused)
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read state of %s: %w", table, err)
	}
	if st.Position, err = datasync.DecodePosition(nullable(cur), nullable(key)); err != nil {
		return st, false, fmt.Errorf("stored position of %s: %w", table, err)
	}
	return st, true, nil
}
