package mysqltarget

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
)

var _ datasync.PageDeleter = (*Target)(nil)

// WritePageDeleting implements datasync.PageDeleter: WritePage that also
// deletes (or marks) the rows of gone in the page's transaction.
func (t *Target) WritePageDeleting(ctx context.Context, st datasync.State, rows []datasync.Row, gone [][]any, pos datasync.Position) (datasync.WriteStats, error) {
	return t.writePrepared(ctx, st, t.Prepare(rows).(*prepared), gone, pos)
}

// keysPerStatement bounds the keys of one delete or mark statement.
const keysPerStatement = 1000

// endPage ends a page's transaction before its commit: it deletes (or
// marks) the rows of gone, clears the mark of the rows written when the
// table marks deletes, and moves the position, only while st.Version
// holds (moveState's check rolls all of it back otherwise).
func (t *Target) endPage(ctx context.Context, tx *sql.Tx, st datasync.State, rows []datasync.Row, gone [][]any, pos datasync.Position, ws *datasync.WriteStats) error {
	n, err := t.removeKeys(ctx, tx, gone)
	if err != nil {
		return err
	}
	ws.Deleted += n
	if err := t.unmark(ctx, tx, rows); err != nil {
		return err
	}
	return t.store.MoveState(ctx, tx, st.Table, st.Version, pos, state.PageAdded(len(rows), len(gone), *ws))
}

// removeKeys deletes the rows of keys, or marks them with deletes: mark
// (those not marked yet), and returns how many rows it changed.
func (t *Target) removeKeys(ctx context.Context, tx *sql.Tx, keys [][]any) (int64, error) {
	var total int64
	for len(keys) > 0 {
		n := min(keysPerStatement, len(keys))
		where, args, err := t.keysWhere(keys[:n])
		if err != nil {
			return total, err
		}
		q := "DELETE FROM " + t.table + " WHERE " + where
		if t.markCol != "" {
			q = "UPDATE " + t.table + " SET " + t.markCol + " = ? WHERE (" + where + ") AND " + t.markCol + " IS NULL"
			args = append([]any{time.Now().UTC()}, args...)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return total, fmt.Errorf("remove %d rows deleted in the source from %s: %w", n, t.ident, err)
		}
		done, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += done
		keys = keys[n:]
	}
	return total, nil
}

// unmark clears the delete mark of rows: a row the source holds again is
// no longer deleted. Nothing to do unless the table marks deletes.
func (t *Target) unmark(ctx context.Context, tx *sql.Tx, rows []datasync.Row) error {
	if t.markCol == "" {
		return nil
	}
	for len(rows) > 0 {
		n := min(keysPerStatement, len(rows))
		keys := make([][]any, n)
		for i, r := range rows[:n] {
			keys[i] = make([]any, len(t.key))
			for j, k := range t.key {
				keys[i][j] = r[k]
			}
		}
		where, args, err := t.keysWhere(keys)
		if err != nil {
			return err
		}
		q := "UPDATE " + t.table + " SET " + t.markCol + " = NULL WHERE (" + where + ") AND " + t.markCol + " IS NOT NULL"
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("clear the delete mark of %d rows of %s: %w", n, t.ident, err)
		}
		rows = rows[n:]
	}
	return nil
}
