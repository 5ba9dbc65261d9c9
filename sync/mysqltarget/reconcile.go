package mysqltarget

import (
	"context"
	"fmt"
	"strings"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// DeleteKeys implements datasync.Reconciler.
func (t *Target) DeleteKeys(ctx context.Context, st datasync.State, keys [][]any) (int64, error) {
	where, args, err := t.keysWhere(keys)
	if err != nil {
		return 0, err
	}
	return t.fencedExec(ctx, st, "DELETE FROM "+t.table+" WHERE "+where, args)
}

// MarkKeys implements datasync.Reconciler.
func (t *Target) MarkKeys(ctx context.Context, st datasync.State, column string, keys [][]any, at *time.Time) (int64, error) {
	where, args, err := t.keysWhere(keys)
	if err != nil {
		return 0, err
	}
	col := quoteColumn(column)
	q := "UPDATE " + t.table + " SET " + col + " = NULL WHERE (" + where + ") AND " + col + " IS NOT NULL"
	if at != nil {
		q = "UPDATE " + t.table + " SET " + col + " = ? WHERE (" + where + ") AND " + col + " IS NULL"
		args = append([]any{at.UTC()}, args...)
	}
	return t.fencedExec(ctx, st, q, args)
}

// keysWhere is the condition matching the rows of keys.
func (t *Target) keysWhere(keys [][]any) (string, []any, error) {
	ors := make([]string, len(keys))
	args := make([]any, 0, len(keys)*len(t.keyCols))
	for i, key := range keys {
		if len(key) != len(t.keyCols) {
			return "", nil, fmt.Errorf("target %s: a key of %d columns, the table has %d", t.ident, len(key), len(t.keyCols))
		}
		ands := make([]string, len(key))
		for j, v := range key {
			ands[j] = t.keyCols[j] + " = ?"
			args = append(args, arg(v))
		}
		ors[i] = "(" + strings.Join(ands, " AND ") + ")"
	}
	return strings.Join(ors, " OR "), args, nil
}

// fencedExec runs q in one transaction that first locks the table's state
// row and checks that st.Version still holds; a deadlock or lock wait
// timeout tries it again.
func (t *Target) fencedExec(ctx context.Context, st datasync.State, q string, args []any) (int64, error) {
	for attempt := 0; ; attempt++ {
		n, err := t.fencedExecOnce(ctx, st, q, args)
		if err == nil || !retryable(err) || attempt >= t.retries {
			return n, err
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return 0, err
		}
	}
}

func (t *Target) fencedExecOnce(ctx context.Context, st datasync.State, q string, args []any) (int64, error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	version, err := t.store.VersionForUpdate(ctx, tx, st.Table)
	if err != nil {
		return 0, fmt.Errorf("read version of %s: %w", st.Table, err)
	}
	if version != st.Version {
		return 0, t.store.Fenced(ctx, tx, st.Table)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("change rows of %s by key: %w", t.ident, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, commit(ctx, tx)
}
