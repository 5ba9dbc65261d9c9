package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// Summary is what a target database keeps of one table, for status pages:
// its state, newest run, last success, rejected rows and folded runs.
type Summary struct {
	State       datasync.State
	LastRun     *RunRow
	LastSuccess *time.Time
	Rejected    int64
	Folded      Folded
}

// Summaries returns the Summary of every table db's state tables know,
// by name, in four statements whatever the number of tables or the length
// of the run log: each reads one row per table along an index. None when
// the state tables do not exist yet.
func Summaries(ctx context.Context, db *sql.DB) (map[string]*Summary, error) {
	out := map[string]*Summary{}
	err := summaryStates(ctx, db, out)
	if noStateTables(err) {
		return out, nil
	}
	if err == nil {
		err = summaryRuns(ctx, db, out)
	}
	if err == nil {
		err = summaryRejects(ctx, db, out)
	}
	if err != nil {
		return nil, fmt.Errorf("read state tables: %w", err)
	}
	return out, nil
}

func summaryStates(ctx context.Context, db *sql.DB, out map[string]*Summary) error {
	rows, err := db.QueryContext(ctx, "SELECT table_name, version, cursor_value, last_key, paused, empty_runs, last_empty_started, last_empty_ended FROM syncd_state")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		s := &Summary{}
		var cur, key sql.NullString
		var started, ended sql.NullTime
		if err := rows.Scan(&s.State.Table, &s.State.Version, &cur, &key, &s.State.Paused, &s.Folded.Count, &started, &ended); err != nil {
			return err
		}
		if s.State.Position, err = datasync.DecodePosition(nullable(cur), nullable(key)); err != nil {
			return fmt.Errorf("stored position of %s: %w", s.State.Table, err)
		}
		if started.Valid && ended.Valid {
			s.Folded.Started, s.Folded.Ended = &started.Time, &ended.Time
		}
		out[s.State.Table] = s
	}
	return rows.Err()
}

// summaryRuns reads each table's newest run and newest successful run;
// the grouped MAX(id) reads one index entry per table.
func summaryRuns(ctx context.Context, db *sql.DB, out map[string]*Summary) error {
	rows, err := db.QueryContext(ctx, "SELECT "+runColumns+" FROM syncd_runs WHERE id IN (SELECT MAX(id) FROM syncd_runs GROUP BY table_name)")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return err
		}
		if s := out[r.Table]; s != nil {
			s.LastRun = &r
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return summarySuccess(ctx, db, out)
}

func summarySuccess(ctx context.Context, db *sql.DB, out map[string]*Summary) error {
	rows, err := db.QueryContext(ctx, "SELECT table_name, ended_at FROM syncd_runs WHERE id IN "+
		"(SELECT MAX(id) FROM syncd_runs WHERE status = ? GROUP BY table_name)", StatusOK)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var ended sql.NullTime
		if err := rows.Scan(&name, &ended); err != nil {
			return err
		}
		if s := out[name]; s != nil && ended.Valid {
			s.LastSuccess = &ended.Time
		}
	}
	return rows.Err()
}

func summaryRejects(ctx context.Context, db *sql.DB, out map[string]*Summary) error {
	rows, err := db.QueryContext(ctx, "SELECT table_name, COUNT(*) FROM syncd_rejects GROUP BY table_name")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		if s := out[name]; s != nil {
			s.Rejected = n
		}
	}
	return rows.Err()
}
