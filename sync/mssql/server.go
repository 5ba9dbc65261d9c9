package mssql

import (
	"context"
	"database/sql"
	"fmt"
)

// serverQuery tells Babelfish from SQL Server: Babelfish answers the
// property "babelfish" with 1, SQL Server any unknown property with NULL.
const serverQuery = "SELECT CAST(SERVERPROPERTY('babelfish') AS INT)"

// DialectOf returns the dialect for the server db reaches: SQL Server's,
// or Babelfish's when db reaches Babelfish for PostgreSQL.
func DialectOf(ctx context.Context, db *sql.DB) (Dialect, error) {
	var bf sql.NullInt64
	if err := db.QueryRowContext(ctx, serverQuery).Scan(&bf); err != nil {
		return Dialect{}, fmt.Errorf("ask which T-SQL server this is: %w", err)
	}
	return Dialect{Babelfish: bf.Valid && bf.Int64 == 1}, nil
}

// Server names the server the dialect speaks to, for messages.
func (d Dialect) Server() string {
	if d.Babelfish {
		return "Babelfish"
	}
	return "SQL Server"
}

// sqlServerRowversionBound is the highest rowversion no open transaction
// can still commit below: MIN_ACTIVE_ROWVERSION is the lowest value of the
// open ones (or the next one to be given out), so every row at or below it
// minus one is committed. @@DBTS, or MAX of the column, would skip rows of
// open transactions.
const sqlServerRowversionBound = "SELECT CAST(CAST(MIN_ACTIVE_ROWVERSION() AS BIGINT) - 1 AS BINARY(8))"

// babelfishRowversionBound is the same low-water mark on Babelfish, which
// has no MIN_ACTIVE_ROWVERSION. Its rowversion is the 64-bit id of the
// (sub)transaction that wrote the row (the column's default is
// sys.get_current_full_xact_id()), and the xmin of a PostgreSQL snapshot
// is the lowest transaction id still running, in the same 64-bit form:
// every id below it has committed or rolled back. A subtransaction's id is
// above its parent's, so a running parent keeps its children above xmin
// too, and an id given out later is above xmin as well. @@DBTS is no bound
// here: it is a fresh transaction id, above rows still uncommitted.
const babelfishRowversionBound = "SELECT CAST(txid_snapshot_xmin(txid_current_snapshot()) - 1 AS BINARY(8))"

func (d Dialect) rowversionBound() string {
	if d.Babelfish {
		return babelfishRowversionBound
	}
	return sqlServerRowversionBound
}
