package mssql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	d, err := DialectOf(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", t.Name, tables.Scrub(err, dsn))
	}
	src, err := datasync.NewSQLSource(ctx, db, d, t)
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
// their values are uint64 and a rowversion cursor is bounded as one (see
// rowversionBound).
func (d Dialect) RefineColumns(ctx context.Context, db *sql.DB, from string, cols []datasync.Column) ([]datasync.Column, error) {
	if !hasBinary(cols) {
		return cols, nil
	}
	rv, err := d.rowversionNames(ctx, db, from)
	if err != nil {
		return nil, fmt.Errorf("find rowversion columns: %w", err)
	}
	return markRowversions(cols, rv), nil
}

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
// of from, a quoted table or a query as a derived table (SourceFrom). The
// driver sees a rowversion as binary(8) (types.go: makeGoLangTypeName
// gives BINARY and the user type that says timestamp is not exposed); the
// catalog calls it timestamp.
func (d Dialect) rowversionNames(ctx context.Context, db *sql.DB, from string) (map[string]bool, error) {
	if strings.HasPrefix(from, "(") {
		return describedRowversions(ctx, db, "SELECT * FROM "+from)
	}
	id, err := tables.ParseIdent(from, 3)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", from, err)
	}
	prefix, _, _, err := catalogParts(d, id)
	if err != nil {
		return nil, err
	}
	return queryNames(ctx, db, rowversionColumnsQuery(prefix), from)
}

// rowversionColumnsQuery lists a table's rowversion columns from the
// catalog of its database: their system type is timestamp, the old name
// of rowversion (sys.types names it so on SQL Server and Babelfish).
func rowversionColumnsQuery(prefix string) string {
	return "SELECT c.name FROM " + prefix + "sys.columns AS c" +
		" JOIN " + prefix + "sys.types AS t ON t.user_type_id = c.system_type_id" +
		" WHERE c.object_id = OBJECT_ID(@p1) AND t.name = 'timestamp'"
}

func queryNames(ctx context.Context, db *sql.DB, q string, args ...any) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names[strings.ToLower(name)] = true
	}
	return names, rows.Err()
}

// describedRowversions returns the rowversion columns of a statement's
// result as sp_describe_first_result_set gives them (SQL Server 2012+ and
// Babelfish; sys.dm_exec_describe_first_result_set is SQL Server's only).
// Its result has more columns in later versions: name and
// system_type_name are found by name.
func describedRowversions(ctx context.Context, db *sql.DB, stmt string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "EXEC sp_describe_first_result_set @tsql = @p1", stmt)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", stmt, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	name, typ := slices.Index(cols, "name"), slices.Index(cols, "system_type_name")
	if name < 0 || typ < 0 {
		return nil, fmt.Errorf("describe %s: sp_describe_first_result_set gave no name or system_type_name", stmt)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	names := map[string]bool{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if t, _ := vals[typ].(string); strings.EqualFold(t, "timestamp") {
			n, _ := vals[name].(string)
			names[strings.ToLower(n)] = true
		}
	}
	return names, rows.Err()
}

// SchemaChanged implements datasync.SchemaErrors: a column read by name
// that no longer exists (error 207, "Invalid column name"; Babelfish
// passes on PostgreSQL's `column "x" does not exist` under its catch-all
// number 33557097).
func (Dialect) SchemaChanged(err error) bool {
	// The driver's Error (by value or pointer) has these methods.
	var se interface {
		SQLErrorNumber() int32
		SQLErrorMessage() string
	}
	if !errors.As(err, &se) {
		return false
	}
	msg := se.SQLErrorMessage()
	return se.SQLErrorNumber() == 207 ||
		(se.SQLErrorNumber() == babelfishError && strings.HasPrefix(msg, "column ") && strings.HasSuffix(msg, " does not exist"))
}

// babelfishError is the number Babelfish gives the PostgreSQL errors it
// has no SQL Server number for.
const babelfishError = 33557097
