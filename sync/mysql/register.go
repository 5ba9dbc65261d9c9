package mysql

import (
	"database/sql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// init registers MySQL as a source; sync/mysqltarget opens the same
// driver's pools as the target.
func init() {
	datasync.RegisterSource(datasync.SourceDriver{
		Name:     tables.DriverMySQL,
		Open:     func(c tables.Connection) (*sql.DB, error) { return OpenDB(c.DSN) },
		Dialect:  Dialect{},
		Classify: Classify,
	})
}
