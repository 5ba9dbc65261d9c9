package connect

import (
	"net/url"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/discover"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A table whose catalog the login cannot read is skipped with the reason,
// and discover goes on with the rest: a PostgreSQL login that sees both
// tables in pg_class but holds a privilege on one only (information_schema
// hides the other's columns).
func TestDiscoverSkipsATableItCannotRead(t *testing.T) {
	t.Parallel()
	adminDSN := synctest.Postgres(t)
	admin := synctest.Open(t, "pgx", adminDSN)
	role := synctest.UniqueName("syncd_r_")
	synctest.Exec(t, admin,
		`CREATE TABLE readable (id INT PRIMARY KEY, updated_at timestamp(6) NOT NULL)`,
		`CREATE TABLE hidden (id INT PRIMARY KEY, updated_at timestamp(6) NOT NULL)`,
		`CREATE ROLE `+role+` LOGIN`,
		`GRANT SELECT ON readable TO `+role)
	t.Cleanup(func() {
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE IF EXISTS ` + role} {
			if _, err := admin.Exec(q); err != nil {
				t.Errorf("clean up the role: %s: %v", q, err)
			}
		}
	})
	u, err := url.Parse(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	_, myDSN := synctest.MariaDB(t)
	cfg := &tables.Config{File: "syncd.yaml", Target: "wms", TablesDir: t.TempDir(), Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: u.String()},
		"wms": {Driver: tables.DriverMySQL, DSN: myDSN},
	}}
	p := NewPools(cfg)
	t.Cleanup(func() { p.Close() })
	got, err := Discover(t.Context(), p, discover.Options{Connection: "src", Dir: cfg.TablesDir, Declared: []string{cfg.TablesDir}})
	if err != nil {
		t.Fatalf("discover stopped at the table it cannot read: %v", err)
	}
	outcomes := map[string]string{}
	for _, d := range got {
		outcomes[d.Entry.Name.Name()] = d.Skip
		if d.Entry.Name.Name() == "readable" && d.Outcome != discover.Written {
			t.Errorf("readable: outcome %v, want written", d.Outcome)
		}
	}
	if len(outcomes) != 2 || outcomes["readable"] != "" || !strings.HasPrefix(outcomes["hidden"], discover.SkipUnreadable) {
		t.Fatalf("skips %q; want readable written and hidden skipped as %q", outcomes, discover.SkipUnreadable)
	}
}
