package connect_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// verifyWorld is a source and a target database with one table of every
// family verify compares, declared as "items".
type verifyWorld struct {
	src, tgt *sql.DB
	pools    *connect.Pools
	cfg      *tables.Config
	table    tables.Table
}

func newVerifyWorld(t *testing.T, sourceDriver string, rows int) *verifyWorld {
	t.Helper()
	_, myDSN := synctest.MariaDB(t)
	w := &verifyWorld{tgt: synctest.Open(t, "mysql", myDSN)}
	var srcDSN string
	switch sourceDriver {
	case tables.DriverPostgres:
		srcDSN = synctest.Postgres(t)
		w.src = synctest.Open(t, "pgx", srcDSN)
		synctest.Exec(t, w.src, `CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(12,2), ratio float8,
			ok boolean, born date, bin bytea, ref uuid, updated_at timestamp(6) NOT NULL)`,
			fmt.Sprintf(`INSERT INTO items SELECT i, 'name ' || i || ' ✓', i * 1.25, i / 3.0, i %% 2 = 0, date '2020-01-01' + i,
				decode(md5(i::text), 'hex'), md5(i::text)::uuid, timestamp '2026-01-01' + i * interval '1 ms' FROM generate_series(1, %d) i`, rows),
			`UPDATE items SET price = NULL, ref = NULL WHERE id % 97 = 0`)
	case tables.DriverMySQL:
		_, srcDSN = synctest.MariaDB(t)
		w.src = synctest.Open(t, "mysql", srcDSN)
		synctest.Exec(t, w.src, `CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(12,2), ratio DOUBLE,
			ok TINYINT(1), born DATE, bin VARBINARY(16), ref CHAR(36), updated_at DATETIME(6) NOT NULL)`,
			fmt.Sprintf(`INSERT INTO items SELECT seq, CONCAT('name ', seq, ' ✓'), seq * 1.25, seq / 3.0, seq %% 2 = 0,
				DATE '2020-01-01' + INTERVAL seq DAY, UNHEX(MD5(seq)), MD5(seq),
				TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq * 1000 MICROSECOND FROM seq_1_to_%d`, rows),
			`UPDATE items SET price = NULL, ref = NULL WHERE id % 97 = 0`)
	}
	synctest.Exec(t, w.tgt, `CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(12,2), ratio DOUBLE,
		ok TINYINT(1), born DATE, `+"bin"+` VARBINARY(16), ref CHAR(36), updated_at DATETIME(6) NOT NULL)`)
	cfg := &tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: sourceDriver, DSN: srcDSN},
		"tgt": {Driver: tables.DriverMySQL, DSN: myDSN},
	}}
	w.pools, w.cfg = connect.NewPools(cfg), cfg
	t.Cleanup(func() { w.pools.Close() })
	w.table = tables.Table{
		Name:   "items",
		Source: tables.Source{Connection: "src", Table: "items", Key: []string{"id"}, Cursor: "updated_at", CursorClock: tables.ClockLocal},
		Target: tables.Target{Connection: "tgt", Table: "items"}, BatchSize: 1000, OnBadRows: tables.OnBadRowsReject,
	}
	return w
}

func (w *verifyWorld) sync(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	job, err := connect.Open(ctx, w.pools, w.table)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	if _, err := job.Run(ctx, datasync.Options{Trigger: datasync.TriggerManual}); err != nil {
		t.Fatal(err)
	}
}

func (w *verifyWorld) verify(t *testing.T, ranges int) datasync.VerifyReport {
	t.Helper()
	rep, err := connect.Verify(context.Background(), w.pools, w.table, ranges)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerify(t *testing.T) {
	for _, driver := range []string{tables.DriverPostgres, tables.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			w := newVerifyWorld(t, driver, 10000)
			if rep := w.verify(t, 8); rep.Equal || rep.Missing != 0 || rep.Pending != 10000 {
				t.Fatalf("before any sync: %+v; want every row pending, not missing, and not equal", rep)
			}
			w.sync(t)
			rep := w.verify(t, 8)
			if !rep.Equal || rep.SourceRows != 10000 || rep.TargetRows != 10000 || rep.Ranges != 1 || len(rep.Skipped) != 0 {
				t.Fatalf("after a sync: %+v; want equal in one checksum, every column compared", rep)
			}

			// One fault of each kind, and one change the next run brings.
			synctest.Exec(t, w.tgt,
				"DELETE FROM items WHERE id = 4321", // missing
				"INSERT INTO items SELECT 20001, name, price, ratio, ok, born, bin, ref, updated_at FROM items WHERE id = 1", // extra
				"UPDATE items SET price = price + 0.01 WHERE id = 777",                                                       // different
				"UPDATE items SET born = born + INTERVAL 1 DAY WHERE id = 9000",                                              // different
			)
			switch driver {
			case tables.DriverPostgres:
				synctest.Exec(t, w.src, "UPDATE items SET name = 'renamed', updated_at = timestamp '2026-06-01' WHERE id = 5")
			default:
				synctest.Exec(t, w.src, "UPDATE items SET name = 'renamed', updated_at = TIMESTAMP '2026-06-01 00:00:00' WHERE id = 5")
			}
			rep = w.verify(t, 8)
			want := map[string]string{`4321`: "missing", `20001`: "extra", `777`: "different", `9000`: "different"}
			if rep.Equal || rep.Missing != 1 || rep.Extra != 1 || rep.Different != 2 || rep.Pending != 1 || len(rep.Keys) != 4 {
				t.Fatalf("after faults: %+v; want 1 missing, 1 extra, 2 different, 1 pending", rep)
			}
			for _, k := range rep.Keys {
				if want[k.Key] != k.Kind {
					t.Errorf("key %s reported %s, want %q", k.Key, k.Kind, want[k.Key])
				}
			}
			if rep.Ranges <= 1 {
				t.Errorf("ranges %d: the differing table was not cut into ranges", rep.Ranges)
			}

			// A full re-sync repairs all but the extra row (syncd never deletes).
			synctest.Exec(t, w.tgt, "DELETE FROM syncd_state")
			w.sync(t)
			synctest.Exec(t, w.tgt, "DELETE FROM items WHERE id = 20001")
			if rep := w.verify(t, 8); !rep.Equal || rep.Pending != 0 {
				t.Fatalf("after repair: %+v; want equal", rep)
			}
		})
	}
}

// TestVerifyCompositeKeyPending: verify of a composite-key table with
// pending rows ends, and finds them pending.
func TestVerifyCompositeKeyPending(t *testing.T) {
	t.Parallel()
	_, myDSN := synctest.MariaDB(t)
	tgt := synctest.Open(t, "mysql", myDSN)
	srcDSN := synctest.Postgres(t)
	src := synctest.Open(t, "pgx", srcDSN)
	synctest.Exec(t, src, `CREATE TABLE olines (order_id bigint NOT NULL, line_no integer NOT NULL, qty numeric(18,3) NOT NULL,
			modified_at timestamp(6) NOT NULL, PRIMARY KEY (order_id, line_no))`,
		`INSERT INTO olines SELECT o, l, l * 1.5, localtimestamp - interval '1 hour' FROM generate_series(1, 1000) o, generate_series(1, 3) l`)
	synctest.Exec(t, tgt, `CREATE TABLE olines (order_id BIGINT NOT NULL, line_no INT NOT NULL, qty DECIMAL(18,3) NOT NULL,
			modified_at DATETIME(6) NOT NULL, PRIMARY KEY (order_id, line_no))`)
	w := &verifyWorld{src: src, tgt: tgt, pools: connect.NewPools(&tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: srcDSN}, "tgt": {Driver: tables.DriverMySQL, DSN: myDSN},
	}})}
	t.Cleanup(func() { w.pools.Close() })
	w.table = tables.Table{
		Name:   "olines",
		Source: tables.Source{Connection: "src", Table: "olines", Key: []string{"order_id", "line_no"}, Cursor: "modified_at", CursorClock: tables.ClockLocal},
		Target: tables.Target{Connection: "tgt", Table: "olines"}, BatchSize: 1000, OnBadRows: tables.OnBadRowsReject,
	}
	w.sync(t)
	synctest.Exec(t, src, "UPDATE olines SET qty = qty + 1, modified_at = localtimestamp WHERE (order_id * 7 + line_no) % 167 = 0")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := connect.Verify(ctx, w.pools, w.table, 16)
	if err != nil {
		t.Fatalf("verify of a composite key with pending rows: %v (%+v)", err, rep)
	}
	if !rep.Equal || rep.Pending != 18 || rep.Missing+rep.Extra+rep.Different != 0 {
		t.Fatalf("%+v: want equal with 18 pending", rep)
	}
}

// TestVerifyDuplicateTargetRows: a target that lost its primary key and
// holds two rows for some keys is never "equal", even when each key's
// newest row matches its source.
func TestVerifyDuplicateTargetRows(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverPostgres, 50)
	w.sync(t)
	synctest.Exec(t, w.tgt, "ALTER TABLE items DROP PRIMARY KEY",
		"INSERT INTO items SELECT * FROM items WHERE id IN (7, 8)")
	rep := w.verify(t, 16)
	if rep.Equal || rep.SourceRows != 50 || rep.TargetRows != 52 || rep.Duplicate != 2 {
		t.Fatalf("%+v: want not equal, 50 source rows, 52 target rows, 2 duplicates", rep)
	}
}
