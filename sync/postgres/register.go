package postgres

import (
	"database/sql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

func init() {
	datasync.RegisterSource(datasync.SourceDriver{
		Name:     tables.DriverPostgres,
		Open:     func(c tables.Connection) (*sql.DB, error) { return OpenDB(c.DSN) },
		Dialect:  Dialect{},
		Classify: Classify,
	})
}
