package connect

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// checksView checks a view source as check --connect sees it and runs it:
// check says once what it cannot verify on a view and refuses nothing a
// run accepts, and the run writes every row.
func checksView(t *testing.T, p *Pools, tbl tables.Table) {
	t.Helper()
	warned := 0
	for _, pr := range Check(context.Background(), p, tbl) {
		if pr.Error {
			t.Errorf("check refuses a view a run accepts: %s", pr)
		}
		if strings.Contains(pr.Message, "is a view: its index and NOT NULL cannot be checked") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("check warned %d times that the source is a view, want once", warned)
	}
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Inserted != 2 {
		t.Fatalf("run: %+v, %v; want 2 rows inserted", rec, err)
	}
}

func viewTable(srcView string) tables.Table {
	tbl := createdTable("items", srcView, "id", "updated_at")
	tbl.Settle = 0
	return tbl
}

func makeView(t *testing.T, db *sql.DB, table, view, ts string) {
	t.Helper()
	synctest.Exec(t, db, "CREATE TABLE "+table+" (id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NULL, updated_at "+ts+" NOT NULL)",
		"CREATE INDEX ix_items_sync ON "+table+" (updated_at, id)",
		"INSERT INTO "+table+" VALUES (1, 'a', '2026-01-01'), (2, 'b', '2026-01-02')",
		"CREATE VIEW "+view+" AS SELECT id, name, updated_at FROM "+table+" WHERE id > 0")
}

// PostgreSQL reports a view's columns nullable and can index no view.
func TestCheckViewPostgres(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	makeView(t, synctest.Open(t, "pgx", pgDSN), "items", "v_items", "timestamp(6)")
	checksView(t, pools(t, tables.DriverPostgres, pgDSN, myDSN), viewTable("v_items"))
}

func TestCheckViewMariaDB(t *testing.T) {
	_, srcDSN := synctest.MariaDB(t)
	_, myDSN := synctest.MariaDB(t)
	makeView(t, synctest.Open(t, "mysql", srcDSN), "items", "v_items", "DATETIME(6)")
	checksView(t, pools(t, tables.DriverMySQL, srcDSN, myDSN), viewTable("v_items"))
}

func TestCheckViewSQLServer(t *testing.T) {
	srcDSN := synctest.SQLServer(t)
	_, myDSN := synctest.MariaDB(t)
	makeView(t, synctest.Open(t, "sqlserver", srcDSN), "dbo.items", "dbo.v_items", "DATETIME2(6)")
	checksView(t, pools(t, tables.DriverSQLServer, srcDSN, myDSN), viewTable("dbo.v_items"))
}
