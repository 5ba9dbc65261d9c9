package connect

import (
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/discover"
	"github.com/syncd/syncd/tables"
)

// Every source dialect linked into syncd is registered, with a dialect
// that syncd discover and check --connect can read the catalog of.
func TestSourceDriversRegistered(t *testing.T) {
	var names []string
	for _, d := range datasync.SourceDrivers() {
		names = append(names, d.Name)
		if _, ok := d.Dialect.(discover.Discoverer); !ok {
			t.Errorf("%s: dialect %T cannot list and describe tables", d.Name, d.Dialect)
		}
	}
	if got, want := len(names), 3; got != want || names[0] != tables.DriverMySQL || names[1] != tables.DriverPostgres || names[2] != tables.DriverSQLServer {
		t.Errorf("registered %v, want mysql, postgres, sqlserver", names)
	}
	if _, err := Dialect("oracle"); err == nil || err.Error() != `unknown driver "oracle" (allowed: sqlserver, mysql, postgres)` {
		t.Errorf("unknown driver: %v", err)
	}
}
