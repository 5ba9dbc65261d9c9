package tables

import (
	"errors"
	"strings"
	"testing"
)

// A driver is valid in syncd.yaml once registered, and not before.
func TestRegisterDriver(t *testing.T) {
	cfg := &Config{File: "syncd.yaml", Connections: map[string]Connection{"ora": {Driver: "testdb", DSN: "x"}}}
	if err := cfg.Validate(); !errors.Is(err, ErrBadValue) {
		t.Fatalf("unregistered driver: %v", err)
	}
	RegisterDriver("testdb")
	t.Cleanup(func() {
		driversMu.Lock()
		defer driversMu.Unlock()
		drivers = []string{DriverSQLServer, DriverMySQL, DriverPostgres}
	})
	if err := cfg.Validate(); err != nil && strings.Contains(err.Error(), "driver") {
		t.Fatalf("registered driver: %v", err)
	}
}
