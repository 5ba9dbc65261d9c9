package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
)

// foldSchema (version 5) folds the scheduled runs that found nothing into
// the table's state instead of a line each in syncd_runs, and indexes the
// run log for its readers (failed runs, runs still marked running) and for
// pruning by age.
var foldSchema = []string{
	`ALTER TABLE syncd_state
		ADD COLUMN empty_runs BIGINT NOT NULL DEFAULT 0 COMMENT 'scheduled runs that found nothing to read, folded out of syncd_runs',
		ADD COLUMN last_empty_started DATETIME(6) NULL COMMENT 'start of the newest folded run',
		ADD COLUMN last_empty_ended DATETIME(6) NULL COMMENT 'end of the newest folded run (a success)'`,
	`ALTER TABLE syncd_runs
		ADD KEY syncd_runs_status (table_name, status, id),
		ADD KEY syncd_runs_started (table_name, started_at)`,
	`ALTER TABLE syncd_rejects ADD KEY syncd_rejects_table (table_name, id)`,
}

// Peek is datasync.Peeker.Peek: one read of the table's state by its
// primary key, with whether any of its rows wait in syncd_rejects.
func (s *Store) Peek(ctx context.Context, table string) (datasync.Peek, bool, error) {
	p := datasync.Peek{State: datasync.State{Table: table}}
	var cur, key sql.NullString
	stmt, err := s.stateStmt(ctx, "peek", "SELECT version, pages, cursor_value, last_key, paused, "+
		"EXISTS (SELECT 1 FROM syncd_rejects WHERE table_name = ?) FROM syncd_state WHERE table_name = ?")
	if err != nil {
		return p, false, err
	}
	err = stmt.QueryRowContext(ctx, table, table).Scan(&p.Version, &p.Pages, &cur, &key, &p.Paused, &p.Rejects)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("peek at state of %s: %w", table, err)
	}
	if p.Position, err = datasync.DecodePosition(nullable(cur), nullable(key)); err != nil {
		return p, false, fmt.Errorf("stored position of %s: %w", table, err)
	}
	return p, true, nil
}

// FoldEmpty is datasync.Peeker.FoldEmpty: one statement raises the fencing
// version, as a claim does, and records the run on the state row, only
// while the row is as p read it (same version, same pages written).
func (s *Store) FoldEmpty(ctx context.Context, p datasync.Peek, r datasync.RunRecord) (bool, error) {
	stmt, err := s.stateStmt(ctx, "fold", "UPDATE syncd_state SET version = version + 1, empty_runs = empty_runs + 1, "+
		"last_empty_started = ?, last_empty_ended = ? WHERE table_name = ? AND version = ? AND pages = ?")
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(ctx, r.Started.UTC(), r.Ended.UTC(), p.Table, p.Version, p.Pages)
	if err != nil {
		return false, fmt.Errorf("fold run of %s into syncd_state: %w", p.Table, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// stateStmts are the statements on the state tables that every run of
// every table of a pool uses, prepared once per pool: the empty run's two
// statements are then neither parsed nor prepared again on the server at
// each run. Their text names no table, so the server holds a few of them
// per connection whatever the number of tables.
var stateStmts = struct {
	sync.Mutex
	m map[*sql.DB]map[string]*sql.Stmt
}{m: map[*sql.DB]map[string]*sql.Stmt{}}

// stateStmt returns the statement called name, prepared on s's pool.
func (s *Store) stateStmt(ctx context.Context, name, text string) (*sql.Stmt, error) {
	stateStmts.Lock()
	defer stateStmts.Unlock()
	byName := stateStmts.m[s.db]
	if stmt, ok := byName[name]; ok {
		return stmt, nil
	}
	stmt, err := s.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("prepare %s on syncd_state: %w", name, err)
	}
	if byName == nil {
		byName = map[string]*sql.Stmt{}
		stateStmts.m[s.db] = byName
	}
	byName[name] = stmt
	return stmt, nil
}

// ForgetStatements closes the statements prepared on db for the state
// tables; for the owner of a pool about to close it.
func ForgetStatements(db *sql.DB) {
	stateStmts.Lock()
	defer stateStmts.Unlock()
	for _, s := range stateStmts.m[db] {
		s.Close()
	}
	delete(stateStmts.m, db)
}

// Folded is what syncd_state keeps of a table's folded runs.
type Folded struct {
	// Count is how many scheduled runs found nothing and were folded.
	Count int64
	// Started and Ended are the newest folded run's; nil before the first.
	Started, Ended *time.Time
}

// ReadFolded returns what syncd_state keeps of table's folded runs; zero
// when the table has none, also before the state tables exist.
func (s *Store) ReadFolded(ctx context.Context, table string) (Folded, error) {
	var f Folded
	var started, ended sql.NullTime
	err := s.db.QueryRowContext(ctx, "SELECT empty_runs, last_empty_started, last_empty_ended FROM syncd_state WHERE table_name = ?", table).
		Scan(&f.Count, &started, &ended)
	var me *gomysql.MySQLError
	if errors.Is(err, sql.ErrNoRows) || noStateTables(err) || (errors.As(err, &me) && me.Number == 1054) { // no such column: before version 5
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read folded runs of %s: %w", table, err)
	}
	if started.Valid && ended.Valid {
		f.Started, f.Ended = &started.Time, &ended.Time
	}
	return f, nil
}
