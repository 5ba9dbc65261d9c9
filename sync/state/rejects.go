package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// RejectRow is a row the target refused, as syncd_rejects keeps it.
type RejectRow struct {
	// Key is the row's key as datasync.EncodeKey writes it.
	Key string
	// Values is a JSON object of target column to value, for people.
	Values string
	// Error is what the target said.
	Error string
}

// KeepRejects records refused rows in syncd_rejects inside tx, the page's
// transaction: a reject and the position past it commit together. A row
// refused again updates its entry.
func (s *Store) KeepRejects(ctx context.Context, tx *sql.Tx, table string, runID int64, rs []RejectRow) error {
	now := time.Now().UTC()
	for _, r := range rs {
		hash := sha256.Sum256([]byte(r.Key))
		_, err := tx.ExecContext(ctx, "INSERT INTO syncd_rejects (table_name, key_hash, row_key, row_values, error, run_id, first_seen, last_seen) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE row_values = VALUES(row_values), error = VALUES(error), "+
			"run_id = VALUES(run_id), last_seen = VALUES(last_seen), attempts = attempts + 1",
			table, hash[:], r.Key, r.Values, r.Error, runID, now, now)
		if err != nil {
			return fmt.Errorf("keep a refused row of %s in syncd_rejects: %w", table, err)
		}
	}
	return nil
}

// DropRejects deletes, inside tx, the rejects of table whose keys (as
// datasync.EncodeKey writes them) are given: rows that went in when tried
// again, or that left the source.
func (s *Store) DropRejects(ctx context.Context, tx *sql.Tx, table string, keys []string) error {
	for _, k := range keys {
		hash := sha256.Sum256([]byte(k))
		if _, err := tx.ExecContext(ctx, "DELETE FROM syncd_rejects WHERE table_name = ? AND key_hash = ?", table, hash[:]); err != nil {
			return fmt.Errorf("drop a retried reject of %s: %w", table, err)
		}
	}
	return nil
}

// maxRetriedRejects bounds the rejects one run tries again.
const maxRetriedRejects = 1000

// RejectedKeys returns the keys of the table's rows in syncd_rejects,
// oldest first (datasync.RejectRetrier.RejectedKeys).
func (s *Store) RejectedKeys(ctx context.Context, table string) ([][]any, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT row_key FROM syncd_rejects WHERE table_name = ? ORDER BY id LIMIT ?", table, maxRetriedRejects)
	if err != nil {
		return nil, fmt.Errorf("read syncd_rejects: %w", err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, fmt.Errorf("read syncd_rejects: %w", err)
		}
		key, err := datasync.DecodeKey(text)
		if err != nil {
			return nil, fmt.Errorf("syncd_rejects of %s: %w", table, err)
		}
		out = append(out, key)
	}
	return out, rows.Err()
}

// Reject is one row of syncd_rejects.
type Reject struct {
	Key       string    `json:"key"`
	Values    string    `json:"values"`
	Error     string    `json:"error"`
	RunID     int64     `json:"run_id"`
	Attempts  int       `json:"attempts"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// ListRejects returns up to limit rejected rows of a table, oldest first,
// and how many there are in all.
func (s *Store) ListRejects(ctx context.Context, table string, limit int) ([]Reject, int64, error) {
	var total int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM syncd_rejects WHERE table_name = ?", table).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("read syncd_rejects: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT row_key, row_values, error, run_id, attempts, first_seen, last_seen FROM syncd_rejects "+
		"WHERE table_name = ? ORDER BY id LIMIT ?", table, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read syncd_rejects: %w", err)
	}
	defer rows.Close()
	var out []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.Key, &r.Values, &r.Error, &r.RunID, &r.Attempts, &r.FirstSeen, &r.LastSeen); err != nil {
			return nil, 0, fmt.Errorf("read syncd_rejects: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
