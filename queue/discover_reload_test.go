package queue_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/discover"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// What syncd discover writes into tables_dir, a running worker's catalog
// takes at its next refresh (the hot reload of syncd run), and a second
// discover of a new source table adds only that one.
func TestDiscoverHotReload(t *testing.T) {
	pg := synctest.Postgres(t)
	_, my := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pg)
	synctest.Exec(t, src, `CREATE TABLE a (id int PRIMARY KEY, updated_at timestamp NOT NULL)`, `CREATE INDEX ix_a ON a (updated_at)`)
	dir := filepath.Join(t.TempDir(), "tables")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := &tables.Config{File: "syncd.yaml", Target: "wms", TablesDir: dir, Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: pg}, "wms": {Driver: tables.DriverMySQL, DSN: my}}}
	cat, err := queue.NewCatalog(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	p := connect.NewPools(cfg)
	t.Cleanup(func() { p.Close() })
	opt := discover.Options{Connection: "src", Dir: dir, Declared: []string{dir}}
	for i, stmt := range []string{"", `CREATE TABLE b (id int PRIMARY KEY, modified timestamp NOT NULL)`} {
		if stmt != "" {
			synctest.Exec(t, src, stmt)
		}
		got, err := connect.Discover(t.Context(), p, opt)
		if err != nil {
			t.Fatal(err)
		}
		if c := discover.Count(got); c.Written != 1 || c.Declared != i {
			t.Fatalf("discover %d: %+v, want 1 written, %d declared", i+1, c, i)
		}
		changed, err := cat.Refresh()
		if err != nil || !changed || len(cat.Tables()) != i+1 || len(cat.Broken()) != 0 {
			t.Fatalf("refresh after discover %d: changed %v, %d tables, broken %v, %v", i+1, changed, len(cat.Tables()), cat.Broken(), err)
		}
	}
	if _, ok := cat.Lookup("b"); !ok {
		t.Errorf("table b not in the catalog: %v", cat.Tables())
	}
}
