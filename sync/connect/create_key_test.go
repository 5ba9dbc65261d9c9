package connect

import (
	"context"
	"errors"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// keyedTable is createdTable with a composite key.
func keyedTable(name, srcTable, cursor string, key ...string) tables.Table {
	t := createdTable(name, srcTable, key[0], cursor)
	t.Source.Key = key
	t.Settle = 0
	return t
}

// createsCompositeKey checks plan, check and a first run of tbl, whose key
// holds a text column (text) that the target's key limit narrows to want:
// plan sizes it and warns, check warns the same and refuses nothing, and
// the run creates the table and writes its rows.
func createsCompositeKey(t *testing.T, p *Pools, tbl tables.Table, text, want string) {
	t.Helper()
	ctx := context.Background()
	def, ddl, err := Plan(ctx, p, tbl)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if !strings.Contains(ddl, "`"+text+"` "+want+" NOT NULL") {
		t.Errorf("plan sizes %s other than %s:\n%s", text, want, ddl)
	}
	if len(def.Warnings) != 1 || !strings.Contains(def.Warnings[0], "key column "+text+" ") || !strings.Contains(def.Warnings[0], want) {
		t.Errorf("plan warnings %q, want one naming %s and %s", def.Warnings, text, want)
	}
	warned := false
	for _, pr := range Check(ctx, p, tbl) {
		if pr.Error {
			t.Errorf("check refuses: %s", pr)
		}
		warned = warned || strings.Contains(pr.Message, "key column "+text+" ") && strings.Contains(pr.Message, want)
	}
	if !warned {
		t.Errorf("check does not warn that %s is created as %s", text, want)
	}
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Inserted != 2 {
		t.Fatalf("run: %+v, %v; want 2 rows inserted", rec, err)
	}
	src, tgt := readBack(t, p, tbl)
	s, err := OpenSource(ctx, p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, s.Columns(), src, tgt)
}

// A PostgreSQL key (region text, item_id int): 767 characters of region
// and the int's 4 bytes make InnoDB's 3,072.
func TestCreateCompositeTextKeyPostgres(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "pgx", pgDSN),
		`CREATE TABLE items (region text, item_id int, name text, updated_at timestamp(6) NOT NULL, PRIMARY KEY (region, item_id))`,
		`CREATE INDEX ix_items_sync ON items (updated_at, region, item_id)`,
		`INSERT INTO items VALUES ('north', 1, 'a', '2026-01-01'), ('south 😀', 1, 'b', '2026-01-02')`)
	p := pools(t, tables.DriverPostgres, pgDSN, myDSN)
	createsCompositeKey(t, p, keyedTable("items", "public.items", "updated_at", "region", "item_id"), "region", "VARCHAR(767)")
}

// A MariaDB source's types are copied as they are: a latin1
// varchar(1000) key column takes 4,000 bytes in utf8mb4.
func TestCreateCompositeTextKeyMariaDB(t *testing.T) {
	_, srcDSN := synctest.MariaDB(t)
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "mysql", srcDSN),
		"CREATE TABLE stock (code VARCHAR(1000) CHARACTER SET latin1 NOT NULL, id INT NOT NULL, "+
			"modified DATETIME(6) NOT NULL, PRIMARY KEY (code, id), KEY ix_sync (modified, code, id))",
		"INSERT INTO stock VALUES ('A', 1, '2026-01-01'), ('B', 2, '2026-01-02')")
	p := pools(t, tables.DriverMySQL, srcDSN, myDSN)
	createsCompositeKey(t, p, keyedTable("stock", "stock", "modified", "code", "id"), "code", "VARCHAR(767)")
}

// A query: source has no catalog to type a new target from: plan, check
// and the run say so and what to do, and check does not promise that the
// first run creates the table.
func TestCreateFromQuerySaysWhatToDo(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "pgx", pgDSN),
		`CREATE TABLE items (id int PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`INSERT INTO items VALUES (1, 'a', '2026-01-01')`)
	p := pools(t, tables.DriverPostgres, pgDSN, myDSN)
	tbl := createdTable("items", "", "id", "updated_at")
	tbl.Source.Query = "SELECT id, name, updated_at FROM items"
	const fix = "create the target table items yourself (primary key (id), an index on updated_at)"
	if _, _, err := Plan(context.Background(), p, tbl); err == nil || !strings.Contains(err.Error(), fix) {
		t.Errorf("plan: %v; want it to say %q", err, fix)
	}
	refused := false
	for _, pr := range Check(context.Background(), p, tbl) {
		refused = refused || pr.Error && strings.Contains(pr.Message, fix)
		if strings.Contains(pr.Message, "the first run creates it") {
			t.Errorf("check promises what the run cannot do: %s", pr)
		}
	}
	if !refused {
		t.Errorf("check does not refuse the missing target of a query: source with %q", fix)
	}
	if _, err := runOnce(t, p, tbl); !errors.Is(err, datasync.ErrDeclaration) || !strings.Contains(err.Error(), fix) {
		t.Errorf("run: %v; want a declaration error (not retried) that says %q", err, fix)
	}
}
