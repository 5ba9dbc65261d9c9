package state

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	datasync "github.com/syncd/syncd/sync"
)

// Summary is what a target database keeps of one table, for status pages:
// its state, newest run, last success, rejected rows and folded runs.
type Summary struct {
	State       datasync.State
	LastRun     *RunRow
	LastSuccess *time.Time
	// LastSuccessStarted is when that run started: its upper bound, for
	// the lag.
	LastSuccessStarted *time.Time
	Rejected           int64
	Folded             Folded
}

// Summaries returns the Summary of every table the state tables know,
// by name, in a few statements whatever the length of the run log: one
// over syncd_state that finds each table's newest run and newest
// successful run along an index, one that reads those runs by id (per
// 500 tables), one that counts the rejects. None when the state tables
// do not exist yet.
func (s *Store) Summaries(ctx context.Context) (map[string]*Summary, error) {
	db := s.db
	out := map[string]*Summary{}
	newest, newestOK, err := summaryStates(ctx, db, out)
	if noStateTables(err) {
		return out, nil
	}
	if err == nil {
		err = summaryRuns(ctx, db, out, newest, newestOK)
	}
	if err == nil {
		err = summaryRejects(ctx, db, out)
	}
	if err != nil {
		return nil, fmt.Errorf("read state tables: %w", err)
	}
	return out, nil
}

// summaryStates reads every state row with the ids of the table's newest
// run and newest successful run (ORDER BY ... LIMIT 1 reads one index
// entry; a correlated MAX would read them all).
func summaryStates(ctx context.Context, db *sql.DB, out map[string]*Summary) (newest, newestOK map[int64]string, err error) {
	rows, err := db.QueryContext(ctx, "SELECT s.table_name, s.version, s.cursor_value, s.last_key, s.paused, s.empty_runs, s.last_empty_started, s.last_empty_ended, "+
		"(SELECT id FROM syncd_runs r WHERE r.table_name = s.table_name ORDER BY id DESC LIMIT 1), "+
		"(SELECT id FROM syncd_runs r WHERE r.table_name = s.table_name AND r.status = ? ORDER BY id DESC LIMIT 1) FROM syncd_state s", StatusOK)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	newest, newestOK = map[int64]string{}, map[int64]string{}
	for rows.Next() {
		s := &Summary{}
		var cur, key sql.NullString
		var started, ended sql.NullTime
		var last, lastOK sql.NullInt64
		if err := rows.Scan(&s.State.Table, &s.State.Version, &cur, &key, &s.State.Paused, &s.Folded.Count, &started, &ended, &last, &lastOK); err != nil {
			return nil, nil, err
		}
		if s.State.Position, err = datasync.DecodePosition(nullable(cur), nullable(key)); err != nil {
			return nil, nil, fmt.Errorf("stored position of %s: %w", s.State.Table, err)
		}
		if started.Valid && ended.Valid {
			s.Folded.Started, s.Folded.Ended = &started.Time, &ended.Time
		}
		if last.Valid {
			newest[last.Int64] = s.State.Table
		}
		if lastOK.Valid {
			newestOK[lastOK.Int64] = s.State.Table
		}
		out[s.State.Table] = s
	}
	return newest, newestOK, rows.Err()
}

// summaryRuns reads the runs of newest and newestOK by id, 500 at a time.
func summaryRuns(ctx context.Context, db *sql.DB, out map[string]*Summary, newest, newestOK map[int64]string) error {
	ids := make([]any, 0, len(newest)+len(newestOK))
	for id := range newest {
		ids = append(ids, id)
	}
	for id := range newestOK {
		if _, dup := newest[id]; !dup {
			ids = append(ids, id)
		}
	}
	for len(ids) > 0 {
		n := min(500, len(ids))
		if err := summaryRunsByID(ctx, db, out, newest, newestOK, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func summaryRunsByID(ctx context.Context, db *sql.DB, out map[string]*Summary, newest, newestOK map[int64]string, ids []any) error {
	rows, err := db.QueryContext(ctx, "SELECT "+runColumns+" FROM syncd_runs WHERE id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return err
		}
		if s := out[newest[r.ID]]; s != nil {
			s.LastRun = &r
		}
		if s := out[newestOK[r.ID]]; s != nil {
			s.LastSuccess, s.LastSuccessStarted = r.Ended, &r.Started
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
