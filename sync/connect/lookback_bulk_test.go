package connect

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// bulkRows is the size of the bulk change the tests below leave in the
// window behind the cursor.
const bulkRows = 600

// bulkTied is how many of them share one cursor value.
const bulkTied = 400

// bulkWorld is a table whose bulkRows rows a bulk change stamped with
// one cursor value, synced: the whole table is in the window behind the
// cursor.
type bulkWorld struct {
	p   *Pools
	tbl tables.Table
}

// newBulkWorld makes the table on driver's server and syncs it; withCursor
// false maps the target without the cursor's column.
func newBulkWorld(t *testing.T, driver string, withCursor bool) (*bulkWorld, *synctestDBs) {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	dbs := &synctestDBs{tgt: synctest.Open(t, "mysql", myDSN)}
	var srcDSN, name, ts string
	switch driver {
	case tables.DriverPostgres:
		srcDSN, name, ts = synctest.Postgres(t), "bulk_items", "timestamp(6)"
		dbs.src = synctest.Open(t, "pgx", srcDSN)
	case tables.DriverMySQL:
		_, srcDSN = synctest.MariaDB(t)
		name, ts = "bulk_items", "DATETIME(6)"
		dbs.src = synctest.Open(t, "mysql", srcDSN)
	case tables.DriverSQLServer:
		srcDSN, name, ts = synctest.SQLServer(t), "dbo.bulk_items", "DATETIME2(6)"
		dbs.src = synctest.Open(t, "sqlserver", srcDSN)
	}
	// Two thirds share one cursor value (one statement's change), the rest
	// a millisecond apart.
	vals := make([]string, bulkRows)
	for i := range vals {
		at := "2026-01-01 00:00:05"
		if id := i + 1; id > bulkTied {
			at = fmt.Sprintf("2026-01-01 00:00:06.%03d", id-bulkTied)
		}
		vals[i] = fmt.Sprintf("(%d, 'row %d', '%s')", i+1, i+1, at)
	}
	synctest.Exec(t, dbs.src, "CREATE TABLE "+name+" (id INT NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, updated_at "+ts+" NOT NULL)",
		"CREATE INDEX ix_bulk_sync ON "+name+" (updated_at, id)",
		"INSERT INTO "+name+" (id, name, updated_at) VALUES "+strings.Join(vals, ", "))
	w := &bulkWorld{p: pools(t, driver, srcDSN, myDSN), tbl: createdTable("bulk_items", name, "id", "updated_at")}
	w.tbl.Lookback, w.tbl.BatchSize, w.tbl.OnBadRows = 10*time.Second, 50, tables.OnBadRowsFail
	if !withCursor {
		w.tbl.Target.Columns = map[string]string{"id": "id", "name": "name"}
	}
	if rec, _, err := w.run(t); err != nil || rec.Inserted != bulkRows {
		t.Fatalf("first run: %+v, %v", rec, err)
	}
	return w, dbs
}

// synctestDBs are the source's and the target's pools of a test.
type synctestDBs struct{ src, tgt *sql.DB }

// run runs the table once on a fresh setup and returns its record and
// how many source rows its lookback compared by key (from its log).
func (w *bulkWorld) run(t *testing.T) (datasync.RunRecord, int64, error) {
	t.Helper()
	ctx := context.Background()
	job, err := Open(ctx, w.p, w.tbl)
	if err != nil {
		return datasync.RunRecord{}, 0, err
	}
	defer job.Close()
	var buf bytes.Buffer
	rec, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual, Logger: zerolog.New(&buf).Level(zerolog.DebugLevel)})
	return rec, byKey(t, &buf), err
}

// byKey reads rows_by_key from the lookback's log line (-1: no line).
func byKey(t *testing.T, log *bytes.Buffer) int64 {
	t.Helper()
	sc := bufio.NewScanner(log)
	for sc.Scan() {
		var line struct {
			Message string `json:"message"`
			ByKey   int64  `json:"rows_by_key"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if line.Message == "lookback compared the window behind the cursor" {
			return line.ByKey
		}
	}
	return -1
}

// TestLookbackByAggregates: after a bulk change, the window behind the
// cursor holds every row of it; the next run compares it by aggregates on
// each side and reads no row by key when they agree, on every source. A
// target row at another cursor value (older: the count and the sum of
// the key and cursor hashes change) and a missing one are found through
// the parts whose aggregates differ, compared by key: a few pages of rows,
// not the window.
func TestLookbackByAggregates(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL, tables.DriverSQLServer} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w, dbs := newBulkWorld(t, driver, true)
			if rec, n, err := w.run(t); err != nil || rec.Late != 0 || rec.Pages != 0 || n != 0 {
				t.Fatalf("run after the bulk change: %+v, %v, %d rows compared by key; want none", rec, err, n)
			}
			// Row 510 keeps its place in (cursor, key) order, so only the sum
			// of its part tells: its cursor value is in the hash.
			synctest.Exec(t, dbs.tgt, "UPDATE bulk_items SET updated_at = '2026-01-01 00:00:04.5' WHERE id = 300",
				"UPDATE bulk_items SET updated_at = '2026-01-01 00:00:06.1105' WHERE id = 510", "DELETE FROM bulk_items WHERE id = 450")
			rec, n, err := w.run(t)
			if err != nil || rec.Late != 2 || rec.SetBack != 1 || rec.Updated != 2 || rec.Inserted != 1 {
				t.Fatalf("run: %+v, %v; want rows 300 (late) and 510 (set back) updated, row 450 inserted (late)", rec, err)
			}
			if n <= 0 || n > 6*int64(w.tbl.BatchSize) {
				t.Errorf("%d rows compared by key; want the parts of the three rows only (at most %d of %d)", n, 6*w.tbl.BatchSize, bulkRows)
			}
			if m := count(t, dbs.tgt, "SELECT COUNT(*) FROM bulk_items WHERE updated_at = '2026-01-01 00:00:05'"); m != bulkTied {
				t.Errorf("%d target rows at the bulk change's cursor value, want %d", m, bulkTied)
			}
			if rec, n, err := w.run(t); err != nil || rec.Pages != 0 || n != 0 {
				t.Fatalf("run after the repair: %+v, %v, %d rows by key; want nothing", rec, err, n)
			}
		})
	}
}

// TestLookbackWithoutTargetCursor: a target that does not hold the
// cursor's column cannot be cut by cursor value: the window is compared
// row by row, by key and whole-row hash, as before, and still finds a
// changed and a missing row.
func TestLookbackWithoutTargetCursor(t *testing.T) {
	t.Parallel()
	w, dbs := newBulkWorld(t, tables.DriverPostgres, false)
	synctest.Exec(t, dbs.tgt, "UPDATE bulk_items SET name = 'changed' WHERE id = 300", "DELETE FROM bulk_items WHERE id = 450")
	rec, n, err := w.run(t)
	if err != nil || rec.Late != 2 || rec.Updated != 1 || rec.Inserted != 1 || n != bulkRows {
		t.Fatalf("run: %+v, %v, %d rows by key; want rows 300 and 450 written, the %d rows of the window compared by key", rec, err, n, bulkRows)
	}
}
