package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
)

// snapshotSchema (version 8) keeps each table's snapshot (one row, its
// latest generation) and the parts of its generation. Locks are always
// taken snapshot row first, then syncd_state, then parts, so that the
// statements of this file never deadlock one another.
var snapshotSchema = []string{
	`CREATE TABLE IF NOT EXISTS syncd_snapshots (
		table_name  VARCHAR(64) NOT NULL PRIMARY KEY,
		generation  BIGINT NOT NULL DEFAULT 0 COMMENT 'raised by each snapshot begun; its parts carry it',
		status      VARCHAR(16) NOT NULL DEFAULT 'none' COMMENT 'running, done, cancelled (a --full began another)',
		bound       TEXT NULL COMMENT 'typed text of the cursor value the table cursor becomes when every part is done',
		parts       INT NOT NULL DEFAULT 0,
		started_at  DATETIME(6) NULL,
		ended_at    DATETIME(6) NULL
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	`CREATE TABLE IF NOT EXISTS syncd_snapshot_parts (
		table_name   VARCHAR(64) NOT NULL,
		generation   BIGINT NOT NULL,
		part         INT NOT NULL COMMENT 'from 0, in key order',
		lo_key       TEXT NULL COMMENT 'first key of the part (inclusive), as syncd_state.last_key; NULL = from the first',
		hi_key       TEXT NULL COMMENT 'first key after the part; NULL = to the last',
		last_key     TEXT NULL COMMENT 'last key written, in the transaction of its rows; NULL = none yet',
		version      BIGINT NOT NULL DEFAULT 0 COMMENT 'fencing version: raised by each claim of the part',
		done         TINYINT(1) NOT NULL DEFAULT 0,
		rows_written BIGINT NOT NULL DEFAULT 0,
		pages        BIGINT NOT NULL DEFAULT 0,
		updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
		PRIMARY KEY (table_name, generation, part)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
}

// Statuses of syncd_snapshots.status.
const (
	snapshotRunning   = "running"
	snapshotDone      = "done"
	snapshotCancelled = "cancelled"
)

// lockSnapshot makes sure the table's snapshot row exists and locks it in
// tx (FOR UPDATE), returning its generation and status.
func (s *Store) lockSnapshot(ctx context.Context, tx *sql.Tx, table string) (gen int64, status string, err error) {
	if _, err := s.db.ExecContext(ctx, "INSERT IGNORE INTO syncd_snapshots (table_name) VALUES (?)", table); err != nil {
		return 0, "", fmt.Errorf("snapshot row of %s: %w", table, err)
	}
	err = tx.QueryRowContext(ctx, "SELECT generation, status FROM syncd_snapshots WHERE table_name = ? FOR UPDATE", table).Scan(&gen, &status)
	return gen, status, err
}

// StartSnapshot begins a snapshot (datasync.SnapshotTarget).
func (s *Store) StartSnapshot(ctx context.Context, table string, bound any, splits [][]any) (datasync.Snapshot, error) {
	snap := datasync.Snapshot{Table: table, Bound: bound, Parts: len(splits) + 1}
	b, err := datasync.EncodeValue(bound)
	if err != nil {
		return snap, fmt.Errorf("snapshot bound: %w", err)
	}
	keys, err := splitTexts(splits)
	if err != nil {
		return snap, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return snap, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	gen, status, err := s.lockSnapshot(ctx, tx, table)
	if err != nil {
		return snap, err
	}
	if status == snapshotRunning {
		return snap, datasync.ErrSnapshotRunning
	}
	if initial, err := s.fenceInitial(ctx, tx, table); err != nil || !initial {
		return snap, err // not initial: a run moved the cursor since the caller looked
	}
	snap.Generation, snap.Running = gen+1, true
	if err := insertParts(ctx, tx, table, snap.Generation, keys); err != nil {
		return snap, err
	}
	_, err = tx.ExecContext(ctx, "UPDATE syncd_snapshots SET generation = ?, status = ?, bound = ?, parts = ?, started_at = NOW(6), ended_at = NULL WHERE table_name = ?",
		snap.Generation, snapshotRunning, b, snap.Parts, table)
	if err != nil {
		return snap, err
	}
	return snap, tx.Commit()
}

// fenceInitial raises the table's fencing version in tx, so that a run
// that claimed the table before is fenced at its next page, when the
// table has no cursor; initial is false (and nothing changed) when it
// has one.
func (s *Store) fenceInitial(ctx context.Context, tx *sql.Tx, table string) (initial bool, err error) {
	if _, err := s.db.ExecContext(ctx, "INSERT IGNORE INTO syncd_state (table_name) VALUES (?)", table); err != nil {
		return false, err
	}
	var cur sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT cursor_value FROM syncd_state WHERE table_name = ? FOR UPDATE", table).Scan(&cur); err != nil {
		return false, err
	}
	if cur.Valid {
		return false, nil
	}
	_, err = tx.ExecContext(ctx, "UPDATE syncd_state SET version = version + 1 WHERE table_name = ?", table)
	return err == nil, err
}

// splitTexts encodes the split keys as the parts' lo/hi texts: part i
// runs from texts[i] to texts[i+1], nil at the open ends.
func splitTexts(splits [][]any) ([]*string, error) {
	texts := make([]*string, len(splits)+2)
	for i, k := range splits {
		s, err := datasync.EncodeKey(k)
		if err != nil {
			return nil, fmt.Errorf("snapshot split key %d: %w", i+1, err)
		}
		texts[i+1] = &s
	}
	return texts, nil
}

// insertParts replaces the table's parts by those of generation gen: the
// parts of an earlier generation go, so that their writers are fenced.
func insertParts(ctx context.Context, tx *sql.Tx, table string, gen int64, texts []*string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM syncd_snapshot_parts WHERE table_name = ?", table); err != nil {
		return fmt.Errorf("forget old snapshot parts of %s: %w", table, err)
	}
	for i := 0; i+1 < len(texts); i++ {
		_, err := tx.ExecContext(ctx, "INSERT INTO syncd_snapshot_parts (table_name, generation, part, lo_key, hi_key) VALUES (?, ?, ?, ?, ?)",
			table, gen, i, texts[i], texts[i+1])
		if err != nil {
			return fmt.Errorf("record snapshot part %d of %s: %w", i+1, table, err)
		}
	}
	return nil
}

// ClaimPart claims a snapshot part (datasync.SnapshotTarget).
func (s *Store) ClaimPart(ctx context.Context, table string, gen int64, part int) (datasync.PartState, error) {
	ps := datasync.PartState{Table: table, Generation: gen, Part: part}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ps, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := s.RunningGeneration(ctx, tx, table, gen); err != nil {
		return ps, err
	}
	res, err := tx.ExecContext(ctx, "UPDATE syncd_snapshot_parts SET version = version + 1 WHERE table_name = ? AND generation = ? AND part = ?", table, gen, part)
	if err != nil {
		return ps, fmt.Errorf("claim snapshot part %d of %s: %w", part+1, table, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ps, errOr2(err, datasync.ErrFenced)
	}
	var lo, hi, last sql.NullString
	err = tx.QueryRowContext(ctx, "SELECT version, lo_key, hi_key, last_key, done, rows_written FROM syncd_snapshot_parts WHERE table_name = ? AND generation = ? AND part = ?",
		table, gen, part).Scan(&ps.Version, &lo, &hi, &last, &ps.Done, &ps.Rows)
	if err != nil {
		return ps, fmt.Errorf("read snapshot part %d of %s: %w", part+1, table, err)
	}
	if err := decodeKeys(&ps, lo, hi, last); err != nil {
		return ps, err
	}
	return ps, tx.Commit()
}

func decodeKeys(ps *datasync.PartState, lo, hi, last sql.NullString) error {
	for _, k := range []struct {
		s   sql.NullString
		dst *[]any
	}{{lo, &ps.Lo}, {hi, &ps.Hi}, {last, &ps.Last}} {
		if !k.s.Valid {
			continue
		}
		v, err := datasync.DecodeKey(k.s.String)
		if err != nil {
			return fmt.Errorf("stored key of snapshot part %d of %s: %w", ps.Part+1, ps.Table, err)
		}
		*k.dst = v
	}
	return nil
}

// RunningGeneration checks, with a shared lock on the snapshot row held
// to the end of tx, that gen is the table's running snapshot: a --full
// (or the last part's finish) waits for tx, or tx sees it and stops. A
// part's page transaction begins with it.
func (s *Store) RunningGeneration(ctx context.Context, tx *sql.Tx, table string, gen int64) error {
	var have int64
	var status string
	err := tx.QueryRowContext(ctx, "SELECT generation, status FROM syncd_snapshots WHERE table_name = ? LOCK IN SHARE MODE", table).Scan(&have, &status)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (have != gen || status != snapshotRunning)) {
		return datasync.ErrFenced
	}
	return err
}

func errOr2(err, or error) error {
	if err != nil {
		return err
	}
	return or
}
