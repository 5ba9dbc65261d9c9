// Package state is syncd's state store: the one owner of every statement
// on syncd's own tables in the target database (syncd_state, syncd_runs,
// syncd_rejects, the schema record syncd_schema) and of their migrations.
// Nothing else in syncd writes SQL against them.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	gomysql "github.com/go-sql-driver/mysql"
)

// schema holds the state tables, one migration per schema version. A
// migration only ever adds; a database at version n runs migrations n+1...
var schema = []string{
	// 1: state and run log.
	`CREATE TABLE IF NOT EXISTS syncd_state (
		table_name   VARCHAR(64) NOT NULL PRIMARY KEY,
		cursor_value TEXT NULL COMMENT 'typed text of the last cursor; NULL = initial load',
		last_key     TEXT NULL COMMENT 'JSON array of typed texts of the last key',
		version      BIGINT NOT NULL DEFAULT 0 COMMENT 'fencing version: raised by each run',
		pages        BIGINT NOT NULL DEFAULT 0,
		paused       TINYINT(1) NOT NULL DEFAULT 0,
		updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	`CREATE TABLE IF NOT EXISTS syncd_runs (
		id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		table_name    VARCHAR(64) NOT NULL,
		` + "`trigger`" + ` VARCHAR(16) NOT NULL,
		status        VARCHAR(16) NOT NULL COMMENT 'running, ok, failed',
		version       BIGINT NOT NULL,
		started_at    DATETIME(6) NOT NULL,
		ended_at      DATETIME(6) NULL,
		rows_read     BIGINT NOT NULL DEFAULT 0,
		rows_inserted BIGINT NOT NULL DEFAULT 0,
		rows_updated  BIGINT NOT NULL DEFAULT 0,
		rows_unchanged BIGINT NOT NULL DEFAULT 0,
		pages         INT NOT NULL DEFAULT 0,
		cursor_before TEXT NULL,
		cursor_after  TEXT NULL,
		error         TEXT NULL,
		KEY syncd_runs_table (table_name, id)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
}

// rejectsSchema (version 2) keeps the rows the target refused, one row per
// table and key: a row refused again updates its entry.
var rejectsSchema = []string{
	`CREATE TABLE IF NOT EXISTS syncd_rejects (
		id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		table_name  VARCHAR(64) NOT NULL,
		key_hash    BINARY(32) NOT NULL COMMENT 'SHA-256 of row_key',
		row_key     TEXT NOT NULL COMMENT 'JSON array of typed texts, as syncd_state.last_key',
		row_values  MEDIUMTEXT NOT NULL COMMENT 'JSON object: target column to value',
		error       TEXT NOT NULL,
		run_id      BIGINT NOT NULL,
		attempts    INT NOT NULL DEFAULT 1,
		first_seen  DATETIME(6) NOT NULL,
		last_seen   DATETIME(6) NOT NULL,
		UNIQUE KEY syncd_rejects_key (table_name, key_hash)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	"ALTER TABLE syncd_runs ADD COLUMN rows_rejected BIGINT NOT NULL DEFAULT 0 AFTER rows_unchanged",
}

// migrations maps a schema version to the statements that reach it.
var migrations = [][]string{
	1: schema,
	2: rejectsSchema,
	// 3: the source columns each table was last read with (schema drift),
	// and what a run found worth a note.
	3: {
		`ALTER TABLE syncd_state ADD COLUMN source_columns TEXT NULL COMMENT 'JSON [{name, type}] of the source columns last read; NULL = not yet seen'`,
		`ALTER TABLE syncd_runs ADD COLUMN notes TEXT NULL COMMENT 'schema drift and columns added, when any'`,
	},
	// 4: never used (numbered while parallel changes were under way); a
	// database records it as done.
	4: nil,
	// 5: empty scheduled runs folded into the table's state, and the
	// indexes of the run log's readers and of its pruning.
	5: foldSchema,
	// 6: the rows a reconcile deleted (or marked deleted).
	6: {
		`ALTER TABLE syncd_runs ADD COLUMN rows_deleted BIGINT NOT NULL DEFAULT 0 COMMENT 'rows deleted or marked by a reconcile'`,
	},
	// 7: late rows repaired by the lookback (late.go).
	7: lateSchema,
	// 8: snapshots and their parts (snapshot.go).
	8: snapshotSchema,
	// 9: the counts of the run that wrote the newest page, kept with the
	// position (runcounts.go), and identical failures folded into one
	// line of the run log (failures.go).
	9: append(append([]string{}, runCountsSchema...), failureSchema...),
}

// Store reads and writes syncd's state tables in one target database.
// It does not own its pool.
type Store struct {
	db *sql.DB
}

// New returns the store of the state tables in db.
func New(db *sql.DB) *Store { return &Store{db: db} }

// Ensure creates or upgrades syncd's state tables. It is idempotent and
// safe to run from several processes at once: a named lock serialises the
// upgrade.
func (s *Store) Ensure(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("state tables: %w", err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('syncd_schema', 30)").Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("state tables: take lock syncd_schema: %v", errOr(err, "timed out"))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('syncd_schema')") //nolint:errcheck // released with the connection anyway
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS syncd_schema (version INT NOT NULL) ENGINE=InnoDB"); err != nil {
		return fmt.Errorf("state tables: %w", err)
	}
	var have int
	err = conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM syncd_schema").Scan(&have)
	if err != nil {
		return fmt.Errorf("state tables: read version: %w", err)
	}
	if have >= len(migrations) {
		return nil
	}
	for v := have + 1; v < len(migrations); v++ {
		if err := migrate(ctx, conn, v); err != nil {
			return err
		}
	}
	return nil
}

func migrate(ctx context.Context, conn *sql.Conn, v int) error {
	for _, q := range migrations[v] {
		if _, err := conn.ExecContext(ctx, q); err != nil && !alreadyApplied(err) {
			return fmt.Errorf("state tables: migrate to version %d: %w", v, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO syncd_schema (version) VALUES (?)", v); err != nil {
		return fmt.Errorf("state tables: record version %d: %w", v, err)
	}
	return nil
}

// alreadyApplied reports whether a migration statement failed only because
// an earlier attempt applied it: DDL commits by itself, so an attempt cut
// short (a full disk, a server killed, a connection lost) leaves the
// statements before the failing one done and the version unrecorded.
func alreadyApplied(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1060 || me.Number == 1061 || me.Number == 1050) // duplicate column, duplicate key, table exists
}

// SchemaVersion is the version Ensure brings the state tables to.
func SchemaVersion() int { return len(migrations) - 1 }

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}
