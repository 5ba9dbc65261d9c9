package connect

import (
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A manual run reads no row younger than settle: its upper bound is the
// source's clock minus settle, whether it is the first load or a later
// run, and with the lookback on (3 x settle, as declared by default)
// nothing behind the cursor brings the young rows in either. Rows
// stamped now, settle an hour: they wait.
func TestManualRunHonoursSettle(t *testing.T) {
	t.Parallel()
	_, myDSN := synctest.MariaDB(t)
	tgt := synctest.Open(t, "mysql", myDSN)
	srcDSN := synctest.Postgres(t)
	src := synctest.Open(t, "pgx", srcDSN)
	// The rows are stamped by the clock the source's bound reads.
	synctest.Exec(t, src, "CREATE TABLE young (id int PRIMARY KEY, updated_at timestamp(6) NOT NULL)",
		"CREATE INDEX ix_young_sync ON young (updated_at, id)",
		`INSERT INTO young VALUES (1, CAST(clock_timestamp() AS timestamp) - interval '2 hours'),
			(2, CAST(clock_timestamp() AS timestamp)), (3, CAST(clock_timestamp() AS timestamp))`)
	p := pools(t, tables.DriverPostgres, srcDSN, myDSN)
	tbl := createdTable("young", "young", "id", "updated_at")
	tbl.Settle = time.Hour
	tbl.Lookback = tables.LookbackSettles * tbl.Settle
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Read != 1 || rec.Inserted != 1 {
		t.Fatalf("first run: %+v, %v; want the row 2 h old only", rec, err)
	}
	synctest.Exec(t, src, "UPDATE young SET updated_at = CAST(clock_timestamp() AS timestamp) WHERE id = 1")
	rec, err = runOnce(t, p, tbl)
	if err != nil || rec.Read != 0 || rec.Late != 0 {
		t.Fatalf("second run: %+v, %v; want nothing read: every row is younger than settle", rec, err)
	}
	if n := count(t, tgt, "SELECT COUNT(*) FROM young WHERE id IN (2, 3)"); n != 0 {
		t.Fatalf("%d rows younger than settle in the target, want none", n)
	}
}
