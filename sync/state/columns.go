package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
)

// keptColumn is one source column as syncd_state.source_columns keeps it.
type keptColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// SeenColumns returns the source columns the last run of table kept in
// syncd_state (datasync.SchemaTarget.SeenColumns); nil when there are
// none, also when the state tables do not exist yet (syncd check runs
// before any run).
func (s *Store) SeenColumns(ctx context.Context, table string) ([]datasync.ColumnInfo, error) {
	var raw sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT source_columns FROM syncd_state WHERE table_name = ?", table).Scan(&raw)
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

// KeepColumns stores the source columns a run read
// (datasync.SchemaTarget.KeepColumns). The version is checked under a row
// lock rather than by rows affected: storing the same columns again
// changes nothing, which is no sign of a stale version.
func (s *Store) KeepColumns(ctx context.Context, st datasync.State, cols []datasync.ColumnInfo) error {
	kept := make([]keptColumn, len(cols))
	for i, c := range cols {
		kept[i] = keptColumn{Name: c.Name, Type: c.Declared()}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	version, err := s.VersionForUpdate(ctx, tx, st.Table)
	if err != nil {
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
