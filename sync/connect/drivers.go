package connect

import (
	"fmt"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"

	// The source dialects, each registering its datasync.SourceDriver:
	// a new source database is one package and one line here.
	_ "github.com/syncd/syncd/sync/mssql"
	_ "github.com/syncd/syncd/sync/mysql"
	_ "github.com/syncd/syncd/sync/postgres"
)

// sourceDriver returns the registered driver called name.
func sourceDriver(name string) (datasync.SourceDriver, error) {
	d, ok := datasync.LookupSource(name)
	if !ok {
		return d, fmt.Errorf("unknown driver %q (allowed: %s)", name, strings.Join(tables.Drivers(), ", "))
	}
	return d, nil
}
