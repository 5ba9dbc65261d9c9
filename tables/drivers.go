package tables

import (
	"slices"
	"sync"
)

// The drivers a connection may name. This package imports no database, so
// it keeps names only: the dialect packages add theirs through
// datasync.RegisterSource, and the built-in ones are known from the start
// so that a configuration validates without them linked in.
var (
	driversMu sync.RWMutex
	drivers   = []string{DriverSQLServer, DriverMySQL, DriverPostgres}
)

// RegisterDriver adds a driver name that connections may use.
func RegisterDriver(name string) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if !slices.Contains(drivers, name) {
		drivers = append(drivers, name)
	}
}

// Drivers returns the driver names connections may use, the built-in
// ones first.
func Drivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	return slices.Clone(drivers)
}
