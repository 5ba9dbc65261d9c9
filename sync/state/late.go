package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	datasync "github.com/syncd/syncd/sync"
)

// lateSchema (version 7) counts the late rows the lookback repaired: per
// run in syncd_runs, and since ever on the table's state, so that status
// reads them from the one state row it reads anyway.
var lateSchema = []string{
	`ALTER TABLE syncd_runs ADD COLUMN rows_late BIGINT NOT NULL DEFAULT 0 COMMENT 'rows found behind the cursor by the lookback and written again (late commits)'`,
	`ALTER TABLE syncd_state
		ADD COLUMN late_rows BIGINT NOT NULL DEFAULT 0 COMMENT 'late rows repaired by every run so far',
		ADD COLUMN last_late_at DATETIME(6) NULL COMMENT 'end of the newest run that repaired late rows'`,
}

// recordLate adds a run's late rows to its table's state.
func (s *Store) recordLate(ctx context.Context, r datasync.RunRecord) error {
	if r.Late == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "UPDATE syncd_state SET late_rows = late_rows + ?, last_late_at = ? WHERE table_name = ?",
		r.Late, r.Ended.UTC(), r.Table)
	if err != nil {
		return fmt.Errorf("add late rows of run %d to syncd_state: %w", r.ID, err)
	}
	return nil
}

// Late is what syncd_state keeps of a table's late rows.
type Late struct {
	// Rows counts the late rows every run of the table repaired so far.
	Rows int64 `json:"late_rows"`
	// Last is the end of the newest run that repaired any; nil before.
	Last *time.Time `json:"last_late_at,omitempty"`
}

// ReadLate returns what syncd_state keeps of table's late rows; zero
// when it has none, also before the state tables (or version 7) exist.
func (s *Store) ReadLate(ctx context.Context, table string) (Late, error) {
	var l Late
	var last sql.NullTime
	err := s.db.QueryRowContext(ctx, "SELECT late_rows, last_late_at FROM syncd_state WHERE table_name = ?", table).Scan(&l.Rows, &last)
	var me *gomysql.MySQLError
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) || (errors.As(err, &me) && me.Number == 1054) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("read late rows of %s: %w", table, err)
	}
	if last.Valid {
		l.Last = &last.Time
	}
	return l, nil
}
