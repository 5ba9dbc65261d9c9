package mysqltarget

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// dataErrors are the server errors that blame a value of a row rather than
// the connection, the server or the statement: what splitting a page can
// isolate to the rows at fault.
var dataErrors = map[uint16]bool{
	1048: true, // column cannot be null
	1264: true, // out of range value
	1265: true, // data truncated
	1292: true, // incorrect date/time value, truncated incorrect value
	1300: true, // invalid character string
	1366: true, // incorrect integer/decimal/string value
	1367: true, // illegal value
	1406: true, // data too long
	1411: true, // incorrect value for function
	1416: true, // cannot get geometry object
	1452: true, // foreign key constraint fails (the parent row is missing)
	1690: true, // value out of range
	3140: true, // invalid JSON text (MySQL)
	3819: true, // check constraint violated (MySQL)
	4025: true, // check constraint failed (MariaDB)
}

// isDataError reports whether err is the server refusing a value. A lost
// connection, a deadlock or a timeout never is: those are retried, never
// turned into rejects.
func isDataError(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && dataErrors[me.Number]
}

// rejected is a row the target refused, with the server's error.
type rejected struct {
	row []any
	err error
}

// writeIsolating writes a page whose upsert failed because of data: in one
// transaction it splits the rows in halves under a savepoint until each
// refused row stands alone, writes every other row, and then either keeps
// the refused rows as rejects (sync/state) and moves the position (reject), or
// rolls everything back and fails naming them (fail). The cursor never
// passes a row that is neither in the table nor in the rejects.
func (t *Target) writeIsolating(ctx context.Context, st datasync.State, rows []datasync.Row, gone [][]any, pos datasync.Position) (datasync.WriteStats, error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	ws, bad, err := t.isolate(ctx, tx, rows)
	if err != nil {
		return ws, err
	}
	if t.onBadRows == tables.OnBadRowsFail && len(bad) > 0 {
		return datasync.WriteStats{}, t.badRowsError(bad)
	}
	if err := t.keepRejects(ctx, tx, st, bad); err != nil {
		return ws, err
	}
	if err := t.endPage(ctx, tx, st, rows, gone, pos, &ws); err != nil {
		return ws, err
	}
	return ws, commit(ctx, tx)
}

// isolate writes rows in tx, splitting them in halves under a savepoint
// until each row the server refuses for its data stands alone; it returns
// what was written and the refused rows. Any other error ends it.
func (t *Target) isolate(ctx context.Context, tx *sql.Tx, rows []datasync.Row) (datasync.WriteStats, []rejected, error) {
	var ws datasync.WriteStats
	var bad []rejected
	var split func(rows []datasync.Row) error
	split = func(rows []datasync.Row) error {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT syncd_rows"); err != nil {
			return err
		}
		cs, err := t.upsert(ctx, tx, rows)
		if err == nil {
			ws = ws.Add(cs)
			_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT syncd_rows")
			return err
		}
		if !isDataError(err) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT syncd_rows"); err != nil {
			return err
		}
		if len(rows) == 1 {
			bad = append(bad, rejected{row: rows[0], err: err})
			return nil
		}
		mid := len(rows) / 2
		if err := split(rows[:mid]); err != nil {
			return err
		}
		return split(rows[mid:])
	}
	err := split(rows)
	ws.Rejected = int64(len(bad))
	return ws, bad, err
}

// ErrBadRows is returned, with on_bad_rows: fail, for a page holding rows
// the target refuses.
var ErrBadRows = errors.New("the target refused rows (on_bad_rows: fail; the cursor stays before them)")

func (t *Target) badRowsError(bad []rejected) error {
	const show = 5
	var errs []error
	for i, b := range bad {
		if i == show {
			errs = append(errs, fmt.Errorf("and %d more", len(bad)-show))
			break
		}
		key, _ := t.keyText(b.row)
		errs = append(errs, fmt.Errorf("key %s: %w", key, b.err))
	}
	return fmt.Errorf("%s: %w: %w", t.ident, ErrBadRows, errors.Join(errs...))
}

// keyText is the row's key as the state store keeps a key.
func (t *Target) keyText(row []any) (string, error) {
	key := make([]any, len(t.key))
	for i, k := range t.key {
		key[i] = row[k]
	}
	return datasync.EncodeKey(key)
}

// keepRejects records refused rows as rejects, in the page's
// transaction: a reject and the position past it commit together.
func (t *Target) keepRejects(ctx context.Context, tx *sql.Tx, st datasync.State, bad []rejected) error {
	rs := make([]state.RejectRow, len(bad))
	for i, b := range bad {
		key, err := t.keyText(b.row)
		if err != nil {
			return err
		}
		vals, err := t.valuesJSON(b.row)
		if err != nil {
			return err
		}
		rs[i] = state.RejectRow{Key: key, Values: vals, Error: b.err.Error()}
	}
	return t.store.KeepRejects(ctx, tx, st.Table, st.RunID, rs)
}

// valuesJSON renders a row as a JSON object of target column to value,
// for people to read: times in RFC 3339 with nanoseconds, bytes as base64.
func (t *Target) valuesJSON(row []any) (string, error) {
	m := make(map[string]any, len(row))
	for i, v := range row {
		if tm, ok := v.(time.Time); ok {
			v = tm.Format(time.RFC3339Nano)
		}
		m[t.names[i]] = v
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// RetryRejects implements datasync.RejectRetrier: in one transaction, and
// only while st.Version is still the table's, it writes the rows read
// again for rejected keys, drops the rejects that now went in and those
// whose row left the source (gone), and updates the ones refused again.
// It never moves the position.
func (t *Target) RetryRejects(ctx context.Context, st datasync.State, found []datasync.Row, gone [][]any) (datasync.WriteStats, error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	version, err := t.store.VersionForUpdate(ctx, tx, st.Table)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	if version != st.Version {
		return datasync.WriteStats{}, t.store.Fenced(ctx, tx, st.Table)
	}
	ws, bad, err := t.isolate(ctx, tx, t.sortByKey(found))
	if err != nil {
		return ws, err
	}
	refused := map[string]bool{}
	for _, b := range bad {
		k, _ := t.keyText(b.row)
		refused[k] = true
	}
	var done []string
	for _, r := range found {
		if k, err := t.keyText(r); err == nil && !refused[k] {
			done = append(done, k)
		}
	}
	for _, key := range gone {
		k, err := datasync.EncodeKey(key)
		if err != nil {
			return ws, err
		}
		done = append(done, k)
	}
	if err := t.store.DropRejects(ctx, tx, st.Table, done); err != nil {
		return ws, err
	}
	if t.onBadRows == tables.OnBadRowsFail && len(bad) > 0 {
		return datasync.WriteStats{}, t.badRowsError(bad)
	}
	if err := t.keepRejects(ctx, tx, st, bad); err != nil {
		return ws, err
	}
	return ws, commit(ctx, tx)
}
