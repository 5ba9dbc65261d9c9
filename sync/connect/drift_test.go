package connect

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// driftSource is a source server the drift tests run against, with the
// statements that change its table in each way.
type driftSource struct {
	driver, sqlDriver string
	create            []string // items (id, qty, updated_at) and rows 1..6
	insert            string   // rows 7..8, with note when it exists
	insertTen         string   // rows 101..110
	addNote           string
	dropQty           string
	retypeQty         string
	qtyWas, qtyIs     string // the declared types the message names
}

func driftSources() []driftSource {
	return []driftSource{{
		driver: tables.DriverPostgres, sqlDriver: "pgx",
		create: []string{`CREATE TABLE items (id bigint PRIMARY KEY, qty integer NOT NULL, updated_at timestamp(6) NOT NULL)`,
			`INSERT INTO items SELECT i, i * 10, timestamp '2026-01-01' + i * interval '1 minute' FROM generate_series(1, 6) i`},
		insert:    `INSERT INTO items (id, qty, updated_at) SELECT i, i, timestamp '2026-01-02' + i * interval '1 minute' FROM generate_series(7, 8) i`,
		insertTen: `INSERT INTO items SELECT i, i, timestamp '2026-01-03' + i * interval '1 minute' FROM generate_series(101, 110) i`,
		addNote:   `ALTER TABLE items ADD COLUMN note varchar(20) DEFAULT 'hi'`,
		dropQty:   `ALTER TABLE items DROP COLUMN qty`,
		retypeQty: `ALTER TABLE items ALTER COLUMN qty TYPE numeric(12,2)`,
		qtyWas:    "integer", qtyIs: "numeric(12,2)",
	}, {
		driver: tables.DriverMySQL, sqlDriver: "mysql",
		create: []string{"CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL, updated_at DATETIME(6) NOT NULL)",
			"INSERT INTO items VALUES (1, 10, '2026-01-01 00:01'), (2, 20, '2026-01-01 00:02'), (3, 30, '2026-01-01 00:03')," +
				" (4, 40, '2026-01-01 00:04'), (5, 50, '2026-01-01 00:05'), (6, 60, '2026-01-01 00:06')"},
		insert:    "INSERT INTO items (id, qty, updated_at) VALUES (7, 7, '2026-01-02 00:07'), (8, 8, '2026-01-02 00:08')",
		insertTen: "INSERT INTO items SELECT seq, seq, TIMESTAMP '2026-01-03 00:00:00' + INTERVAL seq MINUTE FROM seq_101_to_110",
		addNote:   "ALTER TABLE items ADD COLUMN note VARCHAR(20) DEFAULT 'hi'",
		dropQty:   "ALTER TABLE items DROP COLUMN qty",
		retypeQty: "ALTER TABLE items MODIFY qty DECIMAL(12,2) NOT NULL",
		qtyWas:    "int(11)", qtyIs: "decimal(12,2)",
	}, mssqlDriftSource}
}

// servers makes the source database and the MariaDB target, with items
// in the source.
func (ds driftSource) servers(t *testing.T) (src, tgt *sql.DB, p *Pools) {
	t.Helper()
	var srcDSN string
	switch ds.driver {
	case tables.DriverPostgres:
		srcDSN = synctest.Postgres(t)
	case tables.DriverSQLServer:
		srcDSN = synctest.SQLServer(t)
	default:
		_, srcDSN = synctest.MariaDB(t)
	}
	_, tgtDSN := synctest.MariaDB(t)
	src, tgt = synctest.Open(t, ds.sqlDriver, srcDSN), synctest.Open(t, "mysql", tgtDSN)
	synctest.Exec(t, src, ds.create...)
	return src, tgt, pools(t, ds.driver, srcDSN, tgtDSN)
}

// open is servers, and syncs items once into a table created from it.
func (ds driftSource) open(t *testing.T) (src, tgt *sql.DB, p *Pools, tbl tables.Table) {
	t.Helper()
	src, tgt, p = ds.servers(t)
	tbl = createdTable("items", "items", "id", "updated_at")
	if rec, err := runOnce(t, p, tbl); err != nil || rec.Inserted != 6 {
		t.Fatalf("first run: %+v, %v", rec, err)
	}
	return src, tgt, p, tbl
}

func forEachSource(t *testing.T, test func(t *testing.T, ds driftSource)) {
	for _, ds := range driftSources() {
		t.Run(ds.driver, func(t *testing.T) { test(t, ds) })
	}
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lastRun returns the error and notes of the table's last run.
func lastRun(t *testing.T, tgt *sql.DB) (errText, notes string) {
	t.Helper()
	var e, n sql.NullString
	if err := tgt.QueryRow("SELECT error, notes FROM syncd_runs ORDER BY id DESC LIMIT 1").Scan(&e, &n); err != nil {
		t.Fatal(err)
	}
	return e.String, n.String
}

// wantStopped checks that a run stopped for drift with a message naming
// every part, wrote nothing, and logged the error in syncd_runs.
func wantStopped(t *testing.T, tgt *sql.DB, err error, parts ...string) {
	t.Helper()
	if !errors.Is(err, datasync.ErrSchemaChanged) {
		t.Fatalf("run error %v, want ErrSchemaChanged", err)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error does not say %q:\n%v", part, err)
		}
	}
	if n := count(t, tgt, "SELECT COUNT(*) FROM items"); n != 6 {
		t.Errorf("target has %d rows, want the 6 of the first run", n)
	}
	if e, _ := lastRun(t, tgt); e != err.Error() {
		t.Errorf("syncd_runs.error = %q, want the run's error", e)
	}
}

func TestDriftNewColumnStops(t *testing.T) {
	forEachSource(t, func(t *testing.T, ds driftSource) {
		src, tgt, p, tbl := ds.open(t)
		synctest.Exec(t, src, ds.addNote, ds.insert)
		wantCheck(t, p, tbl, true, "source columns changed since the last run, which will stop: column note (")
		_, err := runOnce(t, p, tbl)
		wantStopped(t, tgt, err, "items: source schema changed: column note (", "is new", "set target.evolve: add_columns", "--accept-schema")
		// The table is stopped run after run until the change is taken.
		_, err = runOnce(t, p, tbl)
		wantStopped(t, tgt, err, "column note")
	})
}

func TestDriftNewColumnAdded(t *testing.T) {
	forEachSource(t, func(t *testing.T, ds driftSource) {
		src, tgt, p, tbl := ds.open(t)
		synctest.Exec(t, src, ds.addNote, ds.insert)
		tbl.Target.Evolve = tables.EvolveAddColumns
		wantCheck(t, p, tbl, false, "which will add them to the target (target.evolve): column note (")
		rec, err := runOnce(t, p, tbl)
		if err != nil || rec.Inserted != 2 || !strings.Contains(rec.Notes, "added to items: note") {
			t.Fatalf("run: %+v, %v", rec, err)
		}
		if n := count(t, tgt, "SELECT COUNT(*) FROM items WHERE note = 'hi'"); n != 2 {
			t.Errorf("%d rows with the new column's value, want the 2 new ones", n)
		}
		if _, notes := lastRun(t, tgt); !strings.Contains(notes, "column note (") {
			t.Errorf("syncd_runs.notes = %q", notes)
		}
		// The next run finds nothing new.
		if rec, err := runOnce(t, p, tbl); err != nil || rec.Notes != "" {
			t.Errorf("run after: %+v, %v", rec, err)
		}
	})
}

func TestDriftRemovedColumnStops(t *testing.T) {
	forEachSource(t, func(t *testing.T, ds driftSource) {
		src, tgt, p, tbl := ds.open(t)
		synctest.Exec(t, src, ds.dropQty)
		_, err := runOnce(t, p, tbl)
		wantStopped(t, tgt, err, "items: source schema changed: column qty ("+ds.qtyWas+") was removed", "syncd sync items --accept-schema")
	})
}

func TestDriftRetypedColumnStopsUntilAccepted(t *testing.T) {
	forEachSource(t, func(t *testing.T, ds driftSource) {
		src, tgt, p, tbl := ds.open(t)
		synctest.Exec(t, src, ds.retypeQty, ds.insert)
		_, err := runOnce(t, p, tbl)
		wantStopped(t, tgt, err, "column qty changed type from "+ds.qtyWas+" to "+ds.qtyIs, "ALTER TABLE")
		synctest.Exec(t, tgt, "ALTER TABLE items MODIFY qty DECIMAL(12,2) NOT NULL")
		job, err := Open(context.Background(), p, tbl)
		if err != nil {
			t.Fatal(err)
		}
		defer job.Close()
		rec, err := job.Run(context.Background(), datasync.Options{Logger: zerolog.Nop(), AcceptSchema: true})
		if err != nil || rec.Inserted != 2 {
			t.Fatalf("accepted run: %+v, %v", rec, err)
		}
		if rec, err := runOnce(t, p, tbl); err != nil || rec.Notes != "" {
			t.Errorf("run after accepting: %+v, %v", rec, err)
		}
	})
}

// A column retyped or dropped between two pages of one run stops it at a
// page boundary before the new values are converted as the old type (the
// page's column types differ from the probe's, or the statement fails in a
// way the dialect knows for a schema change); what was written matches the
// cursor, and the next run names the change.
func TestDriftBetweenPages(t *testing.T) {
	forEachSource(t, func(t *testing.T, ds driftSource) {
		for _, tc := range []struct{ name, alter, next string }{
			{"retype", ds.retypeQty, "column qty changed type from " + ds.qtyWas + " to " + ds.qtyIs},
			{"drop", ds.dropQty, "column qty (" + ds.qtyWas + ") was removed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				src, tgt, p, tbl := ds.open(t)
				synctest.Exec(t, src, "DELETE FROM items")
				synctest.Exec(t, tgt, "DELETE FROM items", "UPDATE syncd_state SET cursor_value = NULL, last_key = NULL")
				synctest.Exec(t, src, ds.insertTen) // 5 pages of 2
				rec, err := runAltering(t, p, tbl, src, tc.alter)
				if !errors.Is(err, datasync.ErrSchemaChanged) || !strings.Contains(err.Error(), "during the run") {
					t.Fatalf("run: %v, want a schema change during the run", err)
				}
				n := count(t, tgt, "SELECT COUNT(*) FROM items")
				if n != rec.Pages*2 || n == 10 {
					t.Errorf("%d rows written in %d pages, want whole pages, not all", n, rec.Pages)
				}
				var last string
				if err := tgt.QueryRow("SELECT last_key FROM syncd_state WHERE table_name = 'items'").Scan(&last); err != nil {
					t.Fatal(err)
				}
				if want := `["i:` + strconv.Itoa(count(t, tgt, "SELECT MAX(id) FROM items")) + `"]`; last != want {
					t.Errorf("stored key %s, want the last row written %s", last, want)
				}
				_, err = runOnce(t, p, tbl)
				wantStoppedAt(t, err, tc.next)
			})
		}
	})
}

// runAltering runs tbl once, running alter on the source after its first
// page is written.
func runAltering(t *testing.T, p *Pools, tbl tables.Table, src *sql.DB, alter string) (datasync.RunRecord, error) {
	t.Helper()
	job, err := Open(context.Background(), p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	return job.Run(context.Background(), datasync.Options{Logger: zerolog.Nop(), AfterPage: func(page int) error {
		if page == 1 {
			synctest.Exec(t, src, alter)
		}
		return nil
	}})
}

func wantStoppedAt(t *testing.T, err error, part string) {
	t.Helper()
	if !errors.Is(err, datasync.ErrSchemaChanged) || !strings.Contains(err.Error(), part) {
		t.Errorf("run: %v, want %q", err, part)
	}
}

// A column newly mapped in target.columns is new to the run too: evolve
// adds it to the target under its target name, and the rows read from
// then on carry it.
func TestDriftNewlyMappedColumnAddedUnderItsTargetName(t *testing.T) {
	ds := driftSources()[0]
	src, tgt, p := ds.servers(t)
	tbl := createdTable("items", "items", "id", "updated_at")
	tbl.Target.Columns = map[string]string{"item_id": "id", "changed": "updated_at"}
	if _, err := runOnce(t, p, tbl); err != nil {
		t.Fatal(err)
	}
	tbl.Target.Columns["amount"] = "qty"
	synctest.Exec(t, src, ds.insert)
	_, err := runOnce(t, p, tbl)
	wantStoppedAt(t, err, "column qty (integer) is new")

	tbl.Target.Evolve = tables.EvolveAddColumns
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Inserted != 2 || !strings.Contains(rec.Notes, "added to items: amount") {
		t.Fatalf("run: %+v, %v", rec, err)
	}
	if n := count(t, tgt, "SELECT COUNT(*) FROM items WHERE amount IS NOT NULL"); n != 2 {
		t.Errorf("%d rows with amount, want the 2 read after it was mapped", n)
	}
}

// wantCheck checks that syncd check --connect tells of the drift, as an
// error or a warning.
func wantCheck(t *testing.T, p *Pools, tbl tables.Table, isError bool, part string) {
	t.Helper()
	for _, pr := range Check(context.Background(), p, tbl) {
		if strings.Contains(pr.Message, part) {
			if pr.Error != isError {
				t.Errorf("check: %s, want error %v", pr, isError)
			}
			return
		}
	}
	t.Errorf("check does not say %q: %v", part, Check(context.Background(), p, tbl))
}

// A column named in target.columns and dropped from the source stops the
// table when it is opened, naming the column and the type it had.
func TestDriftMappedColumnRemoved(t *testing.T) {
	forEachSource(t, func(t *testing.T, ds driftSource) {
		src, _, p := ds.servers(t)
		tbl := createdTable("items", "items", "id", "updated_at")
		tbl.Target.Columns = map[string]string{"item_id": "id", "amount": "qty", "changed": "updated_at"}
		if _, err := runOnce(t, p, tbl); err != nil {
			t.Fatal(err)
		}
		synctest.Exec(t, src, ds.dropQty)
		_, err := runOnce(t, p, tbl)
		wantStoppedAt(t, err, "items: source schema changed: column qty ("+ds.qtyWas+") was removed from items: nothing was written; take it out of target.columns")
	})
}
