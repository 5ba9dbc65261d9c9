package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	gomysql "github.com/go-sql-driver/mysql"
)

// SetPaused pauses or resumes a table. Pausing also raises the fencing
// version, as Rewind does: a run in progress finds its version stale at
// its next page and stops there (with ErrPaused), its position matching
// the rows it wrote. Resuming leaves the version and the position alone,
// so the next run continues from where the table stopped.
func (s *Store) SetPaused(ctx context.Context, table string, paused bool) error {
	q := "INSERT INTO syncd_state (table_name, paused) VALUES (?, 0) ON DUPLICATE KEY UPDATE paused = 0"
	if paused {
		q = "INSERT INTO syncd_state (table_name, paused, version) VALUES (?, 1, 1) " +
			"ON DUPLICATE KEY UPDATE paused = 1, version = version + 1"
	}
	if _, err := s.db.ExecContext(ctx, q, table); err != nil {
		return fmt.Errorf("set paused=%t for %s in syncd_state: %w", paused, table, err)
	}
	return nil
}

// IsPaused reports whether a table is paused. It reads only syncd_state,
// so it answers whatever state the table's source is in; a database
// without syncd's state tables yet has no paused table.
func (s *Store) IsPaused(ctx context.Context, table string) (bool, error) {
	var paused bool
	err := s.db.QueryRowContext(ctx, "SELECT paused FROM syncd_state WHERE table_name = ?", table).Scan(&paused)
	switch {
	case errors.Is(err, sql.ErrNoRows), noStateTables(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read paused flag of %s in syncd_state: %w", table, err)
	}
	return paused, nil
}

// noStateTables reports MySQL's error 1146 (no such table): syncd's state
// tables are made by the first run, and readers of the state take their
// absence as "never synced" rather than creating them.
func noStateTables(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1146
}
