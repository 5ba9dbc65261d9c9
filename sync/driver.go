package datasync

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/syncd/syncd/tables"
)

// SourceDriver describes one kind of source database to syncd: everything
// the rest of syncd needs to open it, read it and judge its errors. Each
// dialect package registers one in its init with RegisterSource, so that
// adding a source database is one package and one import (in sync/connect).
type SourceDriver struct {
	// Name is the driver: value of a connection in syncd.yaml.
	Name string
	// Open returns a pool for a connection, not yet pinged.
	Open func(c tables.Connection) (*sql.DB, error)
	// Dialect is the dialect for quoting and for a pool not yet asked
	// which server it reaches. It may implement Cataloger and Lister,
	// which syncd check --connect and syncd discover need.
	Dialect Dialect
	// DialectOf, when set, returns the dialect of the server db reaches
	// (SQL Server or Babelfish); nil means Dialect.
	DialectOf func(ctx context.Context, db *sql.DB) (Dialect, error)
	// Classify says whether an error of this driver is permanent or
	// transient; ClassUnknown for an error it does not know.
	Classify func(error) ErrorClass
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]SourceDriver{}
)

// RegisterSource makes a source driver known by its name, here and to the
// validation of syncd.yaml (tables.RegisterDriver). It panics on a name
// registered twice or a descriptor without Open, Dialect or Classify: a
// program that does that cannot work.
func RegisterSource(d SourceDriver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[d.Name]; dup || d.Name == "" || d.Open == nil || d.Dialect == nil || d.Classify == nil {
		panic(fmt.Sprintf("datasync: bad or second registration of source driver %q", d.Name))
	}
	drivers[d.Name] = d
	tables.RegisterDriver(d.Name)
}

// LookupSource returns the registered source driver called name.
func LookupSource(name string) (SourceDriver, bool) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	d, ok := drivers[name]
	return d, ok
}

// SourceDrivers returns the registered source drivers, sorted by name.
func SourceDrivers() []SourceDriver {
	driversMu.RLock()
	defer driversMu.RUnlock()
	out := make([]SourceDriver, 0, len(drivers))
	for _, d := range drivers {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b SourceDriver) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}
