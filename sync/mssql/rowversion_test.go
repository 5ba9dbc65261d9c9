package mssql_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mssql"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A rowversion cursor is kept in syncd_state as "u:" and the decimal
// uint64 of its 8 big-endian bytes, and binds back to the same bytes.
func TestRowversionState(t *testing.T) {
	col := datasync.Column{Name: "rv", DatabaseType: "ROWVERSION"}
	conv, err := mssql.Dialect{}.Converter(col)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte{0, 0, 0, 0x01, 0, 0, 0x07, 0xd1}
	v, err := conv(raw)
	if err != nil {
		t.Fatal(err)
	}
	text, err := datasync.EncodeValue(v)
	if err != nil || text != "u:4294969297" {
		t.Fatalf("stored as %q, %v; want u:4294969297", text, err)
	}
	back, err := datasync.DecodeValue(text)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mssql.Dialect{}.Bind(col, back)
	if err != nil || !bytes.Equal(p.([]byte), raw) {
		t.Fatalf("bound % X, %v; want % X", p, err, raw)
	}
}

// A row written by a transaction still open when a run starts holds a
// rowversion below rows committed after it. The run's bound stops below
// it, so the row committed later is read by the next run instead of being
// skipped for good. On SQL Server the bound is MIN_ACTIVE_ROWVERSION() - 1,
// exactly one below the open row; on Babelfish it is the snapshot's xmin
// - 1, which another session's open transaction (the server is shared)
// may hold lower still, so there it is at most that and the runs are
// repeated until the rows arrive.
func TestServerRowversionOpenTransaction(t *testing.T) {
	dsn := synctest.SQLServer(t)
	db, err := mssql.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bf := synctest.IsBabelfish(t, db)
	if !bf {
		// Row versioning, so that the reader neither blocks on nor reads
		// the open transaction's row (docs/sqlserver.md recommends it);
		// Babelfish, a PostgreSQL, reads row versions always.
		synctest.Exec(t, db, "ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE")
	}
	synctest.Exec(t, db, "CREATE TABLE dbo.items (id INT NOT NULL PRIMARY KEY, n INT NOT NULL, rv ROWVERSION)",
		"CREATE INDEX ix_items_rv ON dbo.items (rv, id)",
		"INSERT INTO dbo.items (id, n) VALUES (1, 1), (2, 2)")
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // committed below
	var open uint64
	if _, err := tx.Exec("INSERT INTO dbo.items (id, n) VALUES (3, 3)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow("SELECT CAST(rv AS BIGINT) FROM dbo.items WHERE id = 3").Scan(&open); err != nil {
		t.Fatal(err)
	}
	synctest.Exec(t, db, "INSERT INTO dbo.items (id, n) VALUES (4, 4)") // committed, above the open row

	tbl := tables.Table{Name: "items", Source: tables.Source{Table: "dbo.items", Key: []string{"id"}, Cursor: "rv"}}
	src, err := mssql.OpenSource(ctx, dsn, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	hi, err := src.UpperBound(ctx, 0)
	if err != nil || (!bf && hi != open-1) || (bf && hi.(uint64) >= open) {
		t.Fatalf("bound %v, %v; want %d or below, under the open transaction's row", hi, err, open-1)
	}
	pos, ids := readIDs(t, src, tbl, datasync.Position{}, hi)
	if !equal(ids, 1, 2) && !(bf && len(ids) == 0) {
		t.Fatalf("first run read %v, want 1 and 2 only", ids)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); len(ids) < 4 && time.Now().Before(deadline); {
		if hi, err = src.UpperBound(ctx, 0); err != nil {
			t.Fatal(err)
		}
		var more []int64
		pos, more = readIDs(t, src, tbl, pos, hi)
		if ids = append(ids, more...); len(more) == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !equal(ids, 1, 2, 3, 4) {
		t.Fatalf("runs read %v, want 1 and 2, then 3, committed late, then 4", ids)
	}
}

// readIDs reads src after pos up to hi in pages of one row, as runs do,
// and returns where it stopped and the ids read.
func readIDs(t *testing.T, src *datasync.SQLSource, tbl tables.Table, pos datasync.Position, hi any) (datasync.Position, []int64) {
	t.Helper()
	m, err := datasync.NewMapping(tbl, src.Columns())
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for {
		rows, err := src.ReadPage(context.Background(), pos, hi, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return pos, ids
		}
		ids = append(ids, rows[0][0].(int64))
		pos = m.PositionOf(rows[0])
	}
}

func equal(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
