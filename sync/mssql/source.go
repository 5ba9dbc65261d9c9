package mssql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// AppName is the application name syncd's sessions show in SQL Server
// (sys.dm_exec_sessions.program_name, traces) unless the DSN sets its own
// "app name".
const AppName = "syncd"

// OpenDB returns a pool for dsn, in any form go-mssqldb takes (sqlserver://
// URL, ADO key=value; or odbc:), without connecting. It is the pool
// sql.Open("sqlserver", dsn) would give (mssql.go: Driver.OpenConnector
// parses with msdsn.Parse too), with two settings of syncd's own:
//
//   - "app name" is syncd when the DSN does not set one, so a DBA can tell
//     syncd's sessions apart (the driver's default is go-mssqldb);
//   - "guid conversion" is off whatever the DSN says, since the converter
//     reads uniqueidentifier bytes in wire order (types.go: decodeGuid);
//     the values syncd hands out are canonical text either way.
//
// Errors never hold the DSN's password.
func OpenDB(dsn string) (*sql.DB, error) {
	cfg, err := connectorConfig(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(mssql.NewConnectorConfig(cfg)), nil
}

func connectorConfig(dsn string) (msdsn.Config, error) {
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return cfg, fmt.Errorf("parse SQL Server DSN %s: %w", tables.RedactDSN(dsn), tables.Scrub(err, dsn))
	}
	// Parameters holds the DSN's keys lower-cased, synonyms resolved
	// (msdsn/conn_str.go: splitConnectionString, splitConnectionStringURL).
	if _, ok := cfg.Parameters[msdsn.AppName]; !ok {
		cfg.AppName = AppName
	}
	cfg.Encoding.GuidConversion = false
	return cfg, nil
}

// OpenSource connects to the SQL Server of dsn and prepares reading table
// t from it with datasync.NewSQLSource. The source owns its pool: Close
// closes it. Errors never hold the DSN's password.
func OpenSource(ctx context.Context, dsn string, t tables.Table) (*datasync.SQLSource, error) {
	db, err := OpenDB(dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to SQL Server %s for %s: %w", tables.RedactDSN(dsn), t.Name, tables.Scrub(err, dsn))
	}
	src, err := datasync.NewSQLSource(ctx, db, Dialect{}, t)
	if err != nil {
		db.Close()
		return nil, tables.Scrub(err, dsn)
	}
	return src.OwnDB(), nil
}

// CheckCursor implements datasync.CursorChecker: it refuses a cursor of a
// type that cannot bound a run (see UpperBoundQuery).
func (Dialect) CheckCursor(cursor datasync.Column) error {
	if !cursorTypes[cursor.DatabaseType] {
		return errors.New(badCursor(cursor.DatabaseType))
	}
	return nil
}

// RefineColumns implements datasync.ColumnRefiner: it tells rowversion
// columns apart from binary ones (the driver calls both BINARY), so that
// their values are uint64 and a rowversion cursor is bounded by
// MIN_ACTIVE_ROWVERSION.
func (Dialect) RefineColumns(ctx context.Context, db *sql.DB, from string, cols []datasync.Column) ([]datasync.Column, error) {
	if !hasBinary(cols) {
		return cols, nil
	}
	rv, err := rowversionNames(ctx, db, "SELECT * FROM "+from)
	if err != nil {
		return nil, fmt.Errorf("find rowversion columns: %w", err)
	}
	return markRowversions(cols, rv), nil
}

// describeQuery asks SQL Server the declared types of a statement's
// result. The driver sees a rowversion as binary(8) (types.go:
// makeGoLangTypeName gives BINARY and the user type that says timestamp is
// not exposed); the catalog calls it timestamp. A statement it cannot
// describe comes back as one row with error_message set, not as an error.
const describeQuery = "SELECT name, system_type_name, error_message" +
	" FROM sys.dm_exec_describe_first_result_set(@p1, NULL, 0)"

// markRowversions renames the type of the BINARY columns among cols whose
// lower-cased names are in rv to ROWVERSION.
func markRowversions(cols []datasync.Column, rv map[string]bool) []datasync.Column {
	out := append([]datasync.Column(nil), cols...)
	for i, c := range out {
		if c.DatabaseType == typeBinary && rv[strings.ToLower(c.Name)] {
			out[i].DatabaseType = typeRowversion
		}
	}
	return out
}

func hasBinary(cols []datasync.Column) bool {
	for _, c := range cols {
		if c.DatabaseType == typeBinary {
			return true
		}
	}
	return false
}

// rowversionNames returns the lower-cased names of the rowversion columns
// of stmt's result.
func rowversionNames(ctx context.Context, db *sql.DB, stmt string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, describeQuery, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name, typ, msg sql.NullString
		if err := rows.Scan(&name, &typ, &msg); err != nil {
			return nil, err
		}
		if msg.Valid {
			return nil, fmt.Errorf("describe %s: %s", stmt, msg.String)
		}
		if strings.EqualFold(typ.String, "timestamp") {
			names[strings.ToLower(name.String)] = true
		}
	}
	return names, rows.Err()
}

// SchemaChanged implements datasync.SchemaErrors: a column read by name
// that no longer exists (error 207, "Invalid column name").
func (Dialect) SchemaChanged(err error) bool {
	// The driver's Error (by value or pointer) has this method.
	var se interface{ SQLErrorNumber() int32 }
	return errors.As(err, &se) && se.SQLErrorNumber() == 207
}
