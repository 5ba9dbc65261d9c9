package connect

import (
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/discover"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// syncSchema is a small source of tables discover declares, with rows:
// a primary key, a unique key, an append-only table and an odd name, and
// a view it skips.
func (s discoverSchema) syncSchema() []string {
	r := strings.NewReplacer("{TS}", s.ts, "{ID}", s.identity, "{OL}", s.quote("Order Lines"))
	stmts := []string{
		`CREATE TABLE pk_mod (id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NULL, updated_at {TS} NOT NULL)`,
		`CREATE INDEX ix_pk_mod_u ON pk_mod (updated_at, id)`,
		`INSERT INTO pk_mod VALUES (1, 'a', '2020-01-01 10:00:00'), (2, NULL, '2020-01-01 10:00:00'), (3, 'c', '2020-01-02 00:00:00.5')`,
		`CREATE TABLE uq_key (code VARCHAR(20) NOT NULL, qty INT NULL, modified {TS} NOT NULL)`,
		`CREATE UNIQUE INDEX ux_uq_key_code ON uq_key (code)`,
		`CREATE INDEX ix_uq_key_m ON uq_key (modified, code)`,
		`INSERT INTO uq_key VALUES ('A-1', 5, '2020-02-01 00:00:00'), ('B-2', NULL, '2020-02-02 00:00:00')`,
		`CREATE TABLE append_only ({ID}, note VARCHAR(20) NULL)`,
		`INSERT INTO append_only (note) VALUES ('x'), ('y'), ('z')`,
		`CREATE TABLE {OL} (id INT NOT NULL PRIMARY KEY, last_modified {TS} NOT NULL)`,
		`CREATE INDEX ix_ol_m ON {OL} (last_modified, id)`,
		`INSERT INTO {OL} VALUES (7, '2020-03-01 00:00:00')`,
		`CREATE VIEW v_items AS SELECT id, name, updated_at FROM pk_mod`,
	}
	for i := range stmts {
		stmts[i] = r.Replace(stmts[i])
	}
	return stmts
}

func TestDiscoverSyncPostgres(t *testing.T) {
	testDiscoverSync(t, pgDiscover, synctest.Postgres(t))
}

func TestDiscoverSyncMariaDB(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	testDiscoverSync(t, mariaDiscover, dsn)
}

func TestDiscoverSyncSQLServer(t *testing.T) {
	testDiscoverSync(t, mssqlDiscover, synctest.SQLServer(t))
}

// testDiscoverSync runs what a new user runs: discover, check --connect,
// a sync of every written table, and verify, which must find every
// target equal to its source.
func testDiscoverSync(t *testing.T, s discoverSchema, srcDSN string) {
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, s.sqlDriver, srcDSN), s.syncSchema()...)
	cfg := &tables.Config{File: "syncd.yaml", Target: "wms", TablesDir: t.TempDir(), Connections: map[string]tables.Connection{
		"src": {Driver: s.driver, DSN: srcDSN},
		"wms": {Driver: tables.DriverMySQL, DSN: myDSN},
	}}
	p := NewPools(cfg)
	t.Cleanup(func() { p.Close() })
	got, err := Discover(t.Context(), p, discover.Options{Connection: "src", Dir: cfg.TablesDir, Declared: []string{cfg.TablesDir}})
	if err != nil {
		t.Fatal(err)
	}
	if c := discover.Count(got); c.Written != 4 || c.Skipped != 1 {
		t.Fatalf("discover: %+v, want 4 written and the view skipped", c)
	}
	ts, err := tables.LoadTables(cfg.TablesDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range ts {
		for _, pr := range Check(t.Context(), p, tb) {
			if pr.Error {
				t.Errorf("check: %s", pr)
			}
		}
		if rec, err := runOnce(t, p, tb); err != nil || rec.Read == 0 {
			t.Fatalf("sync %s: %+v, %v", tb.Name, rec, err)
		}
		rep, err := Verify(t.Context(), p, tb, 4)
		if err != nil || !rep.Equal {
			t.Errorf("verify %s: %+v, %v", tb.Name, rep, err)
		}
	}
}
