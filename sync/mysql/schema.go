package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.SchemaTarget = (*Target)(nil)

// keptColumn is one source column as syncd_state.source_columns keeps it.
type keptColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// SeenColumns implements datasync.SchemaTarget.
func (t *Target) SeenColumns(ctx context.Context, table string) ([]datasync.ColumnInfo, error) {
	return SeenColumns(ctx, t.db, table)
}

// SeenColumns returns the source columns the last run of table kept in
// db's syncd_state; nil when there are none, also when the state tables
// do not exist yet (syncd check runs before any run).
func SeenColumns(ctx context.Context, db *sql.DB, table string) ([]datasync.ColumnInfo, error) {
	var raw sql.NullString
	err := db.QueryRowContext(ctx, "SELECT source_columns FROM syncd_state WHERE table_name = ?", table).Scan(&raw)
	var me *gomysql.MySQLError
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !raw.Valid) ||
		(errors.As(err, &me) && (me.Number == 1146 || me.Number == 1054)) { // no such table, column
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kept []keptColumn
	if err := json.Unmarshal([]byte(raw.String), &kept); err != nil {
		return nil, fmt.Errorf("syncd_state.source_columns of %s: %w", table, err)
	}
	cols := make([]datasync.ColumnInfo, len(kept))
	for i, k := range kept {
		cols[i] = datasync.ColumnInfo{Name: k.Name, Type: k.Type}
	}
	return cols, nil
}

// KeepColumns implements datasync.SchemaTarget. The version is checked
// under a row lock rather than by rows affected: storing the same columns
// again changes nothing, which is no sign of a stale version.
func (t *Target) KeepColumns(ctx context.Context, st datasync.State, cols []datasync.ColumnInfo) error {
	kept := make([]keptColumn, len(cols))
	for i, c := range cols {
		kept[i] = keptColumn{Name: c.Name, Type: c.Declared()}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var version int64
	if err := tx.QueryRowContext(ctx, "SELECT version FROM syncd_state WHERE table_name = ? FOR UPDATE", st.Table).Scan(&version); err != nil {
		return err
	}
	if version != st.Version {
		return datasync.ErrFenced
	}
	if _, err := tx.ExecContext(ctx, "UPDATE syncd_state SET source_columns = ? WHERE table_name = ?", string(b), st.Table); err != nil {
		return err
	}
	return tx.Commit()
}

// AddColumns implements datasync.SchemaTarget with one ALTER TABLE for the
// columns the table lacks (a run that stopped after adding them finds
// them there).
func (t *Target) AddColumns(ctx context.Context, cols []datasync.ColumnDef) ([]string, error) {
	info, err := Describe(ctx, t.db, t.ident)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(info.Columns))
	for _, c := range info.Columns {
		have[strings.ToLower(c.Name)] = true
	}
	var add []datasync.ColumnDef
	var names []string
	for _, c := range cols {
		if !have[strings.ToLower(c.Name)] {
			add, names = append(add, c), append(names, c.Name)
		}
	}
	if len(add) == 0 {
		return nil, nil
	}
	if _, err := t.db.ExecContext(ctx, AddColumnsSQL(t.ident, add)); err != nil {
		return nil, err
	}
	// Statements prepared before the change would still be valid, but
	// preparing afresh keeps the server from re-preparing each of them.
	t.mu.Lock()
	t.closeStmtsLocked()
	t.mu.Unlock()
	return names, nil
}
