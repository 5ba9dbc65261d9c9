package state

import (
	"context"
	"errors"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
)

// A database at schema version 1 is brought to the current version with
// its state rows intact, and gains the columns schema drift keeps.
func TestEnsureSchemaUpgradesVersion1(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	synctest.Exec(t, db, migrations[1]...)
	synctest.Exec(t, db, "CREATE TABLE syncd_schema (version INT NOT NULL) ENGINE=InnoDB", "INSERT INTO syncd_schema VALUES (1)",
		`INSERT INTO syncd_state (table_name, cursor_value, last_key, version) VALUES ('old', 'i:5', '["i:5"]', 3)`)
	ctx := context.Background()
	if err := New(db).Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	tgt := New(db)
	seen, err := tgt.SeenColumns(ctx, "old")
	if err != nil || seen != nil {
		t.Fatalf("SeenColumns of a table from version 1: %v, %v; want none", seen, err)
	}
	st, err := tgt.claim(ctx, "old")
	if err != nil || st.Position.String() != `i:5 ["i:5"]` || st.Version != 4 {
		t.Fatalf("state after upgrade: %+v, %v", st, err)
	}
	cols := []datasync.ColumnInfo{{Name: "id", Type: "INT"}, {Name: "name", Type: "NVARCHAR", Length: 50}}
	if err := tgt.KeepColumns(ctx, st, cols); err != nil {
		t.Fatal(err)
	}
	seen, err = tgt.SeenColumns(ctx, "old")
	if err != nil || len(seen) != 2 || seen[1].Type != "NVARCHAR(50)" {
		t.Fatalf("SeenColumns: %+v, %v", seen, err)
	}
	// Storing the same columns again is no sign of a stale version...
	if err := tgt.KeepColumns(ctx, st, cols); err != nil {
		t.Fatalf("keeping the same columns again: %v", err)
	}
	// ...but a newer claim is.
	if _, err := tgt.claim(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if err := tgt.KeepColumns(ctx, st, cols); !errors.Is(err, datasync.ErrFenced) {
		t.Fatalf("KeepColumns under a stale version: %v, want ErrFenced", err)
	}
}

// A migration cut short after some of its statements (DDL commits by
// itself: a full disk, a killed server) is completed by the next
// EnsureSchema instead of failing on what the first attempt did.
func TestEnsureSchemaCompletesAnInterruptedMigration(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	synctest.Exec(t, db, migrations[1]...)
	synctest.Exec(t, db, migrations[2]...)
	synctest.Exec(t, db, "CREATE TABLE syncd_schema (version INT NOT NULL) ENGINE=InnoDB", "INSERT INTO syncd_schema VALUES (1), (2)")
	last := len(migrations) - 1
	synctest.Exec(t, db, migrations[last][0]) // the attempt that stopped after its first statement
	if err := New(db).Ensure(context.Background()); err != nil {
		t.Fatalf("EnsureSchema after an interrupted migration to version %d: %v", last, err)
	}
	var v int
	if err := db.QueryRow("SELECT MAX(version) FROM syncd_schema").Scan(&v); err != nil || v != last {
		t.Fatalf("schema version %d, %v; want %d", v, err, last)
	}
}
