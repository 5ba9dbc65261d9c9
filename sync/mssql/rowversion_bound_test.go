package mssql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/syncd/syncd/sync/mssql"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// On Babelfish the rowversion bound is exactly one below the oldest
// transaction still running: its id is the snapshot's xmin, and a row it
// writes may carry that id, so the bound must not reach it. An open
// transaction of the test's own, once it is the oldest on the server
// (others' short ones end), pins xmin to its id; the bound is then that
// id minus one, not "somewhere below the open row". (SQL Server's own
// bound is asserted exactly in TestServerRowversionOpenTransaction.)
func TestBabelfishRowversionBoundBelowOldestOpen(t *testing.T) {
	dsn := synctest.SQLServer(t)
	db, err := mssql.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if !synctest.IsBabelfish(t, db) {
		t.Skip("SQL Server has MIN_ACTIVE_ROWVERSION: TestServerRowversionOpenTransaction asserts its bound exactly")
	}
	synctest.Exec(t, db, "CREATE TABLE dbo.items (id INT NOT NULL PRIMARY KEY, rv ROWVERSION)")
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // held open, never committed
	var own uint64
	if err := tx.QueryRow("SELECT CAST(txid_current() AS BIGINT)").Scan(&own); err != nil {
		t.Fatal(err)
	}
	// Transaction ids only grow: once no older one runs, none can start
	// while ours stays open, and xmin is ours.
	synctest.Eventually(t, "the test's transaction the oldest on the server", func() (bool, string) {
		var xmin uint64
		if err := db.QueryRow("SELECT CAST(txid_snapshot_xmin(txid_current_snapshot()) AS BIGINT)").Scan(&xmin); err != nil {
			t.Fatal(err)
		}
		return xmin == own, fmt.Sprintf("xmin %d, ours %d", xmin, own)
	})
	tbl := tables.Table{Name: "items", Source: tables.Source{Table: "dbo.items", Key: []string{"id"}, Cursor: "rv"}}
	src, err := mssql.OpenSource(ctx, dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	hi, err := src.UpperBound(ctx, 0)
	if err != nil || hi != own-1 {
		t.Fatalf("bound %v, %v; want %d, one below the oldest open transaction %d", hi, err, own-1, own)
	}
}
