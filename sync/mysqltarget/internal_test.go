package mysqltarget

import (
	"context"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// 0001-01-01, SQL Server's first date, arrives as itself, not as MySQL's
// zero date, and is not refused under NO_ZERO_DATE.
func TestWriteFirstDate(t *testing.T) {
	_, dsn := synctest.MariaDB(t)
	// MySQL 8's default modes, for this test's sessions only.
	db, err := mysql.OpenDB(dsn + "&sql_mode=%27STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE%27")
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
