package mysql

import (
	"context"
	"errors"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
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
	if err := EnsureSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	tgt := &Target{db: db}
	seen, err := tgt.SeenColumns(ctx, "old")
	if err != nil || seen != nil {
		t.Fatalf("SeenColumns of a table from version 1: %v, %v; want none", seen, err)
	}
	st, err := claim(ctx, db, "old")
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
	if _, err := claim(ctx, db, "old"); err != nil {
		t.Fatal(err)
	}
	if err := tgt.KeepColumns(ctx, st, cols); !errors.Is(err, datasync.ErrFenced) {
		t.Fatalf("KeepColumns under a stale version: %v, want ErrFenced", err)
	}
}

// 0001-01-01, SQL Server's first date, arrives as itself, not as MySQL's
// zero date, and is not refused under NO_ZERO_DATE.
func TestWriteFirstDate(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	// MySQL 8's default modes, for this test's sessions only.
	db, err := OpenDB(dsn + "&sql_mode=%27STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE%27")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	synctest.Exec(t, db, "CREATE TABLE d (id INT PRIMARY KEY, day DATE, at DATETIME(6))")
	ctx := context.Background()
	tgt, err := NewTarget(ctx, db, TargetOptions{Table: tables.Ident{Parts: []string{"d"}}, Columns: []string{"id", "day", "at"}, Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	st, err := tgt.Claim(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	var zero time.Time
	rows := []datasync.Row{{int64(1), zero, zero}}
	if _, err := tgt.WritePage(ctx, st, rows, datasync.Position{Cursor: zero, Key: []any{int64(1)}}); err != nil {
		t.Fatal(err)
	}
	var day, at string
	if err := db.QueryRow("SELECT CAST(day AS CHAR), CAST(at AS CHAR) FROM d").Scan(&day, &at); err != nil {
		t.Fatal(err)
	}
	if day != "0001-01-01" || at != "0001-01-01 00:00:00.000000" {
		t.Errorf("stored %s, %s; want 0001-01-01", day, at)
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
	if err := EnsureSchema(context.Background(), db); err != nil {
		t.Fatalf("EnsureSchema after an interrupted migration to version %d: %v", last, err)
	}
	var v int
	if err := db.QueryRow("SELECT MAX(version) FROM syncd_schema").Scan(&v); err != nil || v != last {
		t.Fatalf("schema version %d, %v; want %d", v, err, last)
	}
}
