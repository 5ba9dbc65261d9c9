package mssql

import (
	"context"
	"database/sql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

func init() {
	datasync.RegisterSource(datasync.SourceDriver{
		Name: tables.DriverSQLServer,
		Open: func(c tables.Connection) (*sql.DB, error) { return OpenDB(WithSettings(c.DSN, SettingsOf(c))) },
		// SQL Server and Babelfish differ in a few statements (server.go).
		Dialect: Dialect{},
		DialectOf: func(ctx context.Context, db *sql.DB) (datasync.Dialect, error) {
			return DialectOf(ctx, db)
		},
		Classify: Classify,
	})
}
