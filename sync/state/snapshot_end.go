package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
)

// FinishPart ends a snapshot part (datasync.SnapshotTarget). The snapshot row is
// locked first, so that parts finishing at once go one after the other
// and exactly one of them sees no part left: that one sets the cursor.
func (s *Store) FinishPart(ctx context.Context, ps datasync.PartState) (datasync.Snapshot, error) {
	snap := datasync.Snapshot{Table: ps.Table, Generation: ps.Generation}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return snap, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	gen, status, err := s.lockSnapshot(ctx, tx, ps.Table)
	if err != nil {
		return snap, err
	}
	if gen != ps.Generation || status != snapshotRunning {
		return snap, datasync.ErrFenced
	}
	res, err := tx.ExecContext(ctx, "UPDATE syncd_snapshot_parts SET done = 1 WHERE table_name = ? AND generation = ? AND part = ? AND version = ? AND done = 0",
		ps.Table, ps.Generation, ps.Part, ps.Version)
	if err != nil {
		return snap, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return snap, errOr2(err, datasync.ErrFenced)
	}
	// A locking read sees the parts other transactions committed, where a
	// plain one would see this transaction's snapshot.
	var left int
	q := "SELECT COUNT(*) FROM syncd_snapshot_parts WHERE table_name = ? AND generation = ? AND done = 0 FOR UPDATE"
	if err := tx.QueryRowContext(ctx, q, ps.Table, ps.Generation).Scan(&left); err != nil {
		return snap, err
	}
	if left == 0 {
		if snap.Bound, err = endSnapshot(ctx, tx, ps.Table); err != nil {
			return snap, err
		}
		snap.Done = true
	}
	snap.Running = !snap.Done
	return snap, tx.Commit()
}

// endSnapshot sets the table's cursor to the snapshot's bound, inclusive
// (no last key), raising its fencing version, and marks the snapshot
// done; it returns the bound.
func endSnapshot(ctx context.Context, tx *sql.Tx, table string) (any, error) {
	var b string
	if err := tx.QueryRowContext(ctx, "SELECT bound FROM syncd_snapshots WHERE table_name = ?", table).Scan(&b); err != nil {
		return nil, fmt.Errorf("read snapshot bound of %s: %w", table, err)
	}
	bound, err := datasync.DecodeValue(b)
	if err != nil {
		return nil, fmt.Errorf("snapshot bound of %s: %w", table, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE syncd_state SET cursor_value = ?, last_key = NULL, version = version + 1 WHERE table_name = ?", b, table); err != nil {
		return nil, fmt.Errorf("set cursor of %s to the snapshot bound: %w", table, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE syncd_snapshots SET status = ?, ended_at = NOW(6) WHERE table_name = ?", snapshotDone, table); err != nil {
		return nil, err
	}
	return bound, nil
}

// RewindFull sets a table back to an initial load, as Rewind with the
// zero position does, and gives up its running snapshot in the same
// transaction: the old parts' writes and claims are fenced from then on,
// and the next run begins a new snapshot (or an ordinary first load).
func (s *Store) RewindFull(ctx context.Context, table string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rewind %s: %w", table, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if _, _, err := s.lockSnapshot(ctx, tx, table); err != nil {
		return fmt.Errorf("rewind %s: %w", table, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE syncd_snapshots SET status = ?, ended_at = NOW(6) WHERE table_name = ? AND status = ?",
		snapshotCancelled, table, snapshotRunning); err != nil {
		return fmt.Errorf("rewind %s: cancel its snapshot: %w", table, err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO syncd_state (table_name, cursor_value, last_key, version) VALUES (?, NULL, NULL, 1) "+
		"ON DUPLICATE KEY UPDATE cursor_value = NULL, last_key = NULL, version = version + 1", table)
	if err != nil {
		return fmt.Errorf("rewind %s: %w", table, err)
	}
	return tx.Commit()
}

// ReadSnapshot returns a table's latest snapshot and the parts of its
// generation (none once another generation began); ok is false when the
// table never had one, also when the state tables are older than
// snapshots.
func (s *Store) ReadSnapshot(ctx context.Context, table string) (snap datasync.Snapshot, parts []datasync.PartState, ok bool, err error) {
	snap.Table = table
	var status string
	var b sql.NullString
	err = s.db.QueryRowContext(ctx, "SELECT generation, status, bound, parts FROM syncd_snapshots WHERE table_name = ?", table).
		Scan(&snap.Generation, &status, &b, &snap.Parts)
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) || (err == nil && snap.Generation == 0) {
		return snap, nil, false, nil
	}
	if err != nil {
		return snap, nil, false, fmt.Errorf("read snapshot of %s: %w", table, err)
	}
	snap.Running, snap.Done = status == snapshotRunning, status == snapshotDone
	if b.Valid {
		if snap.Bound, err = datasync.DecodeValue(b.String); err != nil {
			return snap, nil, false, fmt.Errorf("snapshot bound of %s: %w", table, err)
		}
	}
	parts, err = s.readParts(ctx, table, snap.Generation)
	for _, p := range parts {
		snap.Rows += p.Rows
		if p.Done {
			snap.PartsDone++
		}
	}
	return snap, parts, true, err
}

func (s *Store) readParts(ctx context.Context, table string, gen int64) ([]datasync.PartState, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT part, version, lo_key, hi_key, last_key, done, rows_written FROM syncd_snapshot_parts "+
		"WHERE table_name = ? AND generation = ? ORDER BY part", table, gen)
	if err != nil {
		return nil, fmt.Errorf("read snapshot parts of %s: %w", table, err)
	}
	defer rows.Close()
	var out []datasync.PartState
	for rows.Next() {
		ps := datasync.PartState{Table: table, Generation: gen}
		var lo, hi, last sql.NullString
		if err := rows.Scan(&ps.Part, &ps.Version, &lo, &hi, &last, &ps.Done, &ps.Rows); err != nil {
			return nil, err
		}
		if err := decodeKeys(&ps, lo, hi, last); err != nil {
			return nil, err
		}
		out = append(out, ps)
	}
	return out, rows.Err()
}

// SnapshotRunning reports whether a snapshot of table is under way; false
// also when the state tables are older than snapshots.
func (s *Store) SnapshotRunning(ctx context.Context, table string) (bool, error) {
	var status string
	err := s.db.QueryRowContext(ctx, "SELECT status FROM syncd_snapshots WHERE table_name = ?", table).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read snapshot of %s: %w", table, err)
	}
	return status == snapshotRunning, nil
}

// SnapshotGate reads, in one statement, what a table's task needs to
// know before it runs: whether a snapshot of the table is under way, and
// whether the table has no cursor (no state row, or a NULL cursor) and is
// not paused, so that its load may begin one. ok is false when the state
// tables are missing or older than snapshots.
func (s *Store) SnapshotGate(ctx context.Context, table string) (running, initial, ok bool, err error) {
	var status sql.NullString
	var init sql.NullBool
	err = s.db.QueryRowContext(ctx, "SELECT (SELECT status FROM syncd_snapshots WHERE table_name = ?), "+
		"(SELECT cursor_value IS NULL AND paused = 0 FROM syncd_state WHERE table_name = ?)", table, table).Scan(&status, &init)
	if noStateTables(err) {
		return false, false, false, nil
	}
	if err != nil {
		return false, false, false, fmt.Errorf("read snapshot of %s: %w", table, err)
	}
	return status.String == snapshotRunning, !init.Valid || init.Bool, true, nil
}

// MarkPart moves the part's last key inside the page's transaction, only
// while the claim's version holds and the part is not done; a paused
// table stops the part here, as a run stops at its page.
func (s *Store) MarkPart(ctx context.Context, tx *sql.Tx, ps datasync.PartState, last string, n int) error {
	var paused bool
	err := tx.QueryRowContext(ctx, "SELECT paused FROM syncd_state WHERE table_name = ? LOCK IN SHARE MODE", ps.Table).Scan(&paused)
	if err != nil {
		return fmt.Errorf("read paused flag of %s: %w", ps.Table, err)
	}
	if paused {
		return datasync.ErrPaused
	}
	res, err := tx.ExecContext(ctx, "UPDATE syncd_snapshot_parts SET last_key = ?, rows_written = rows_written + ?, pages = pages + 1 "+
		"WHERE table_name = ? AND generation = ? AND part = ? AND version = ? AND done = 0", last, n, ps.Table, ps.Generation, ps.Part, ps.Version)
	if err != nil {
		return fmt.Errorf("move snapshot part %d of %s: %w", ps.Part+1, ps.Table, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errOr2(err, datasync.ErrFenced)
	}
	return nil
}
