package connect_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// errorCase is one error a real server returns, and whether a retry can
// fix it.
type errorCase struct {
	name      string
	permanent bool
	produce   func(t *testing.T) error
}

// connectErr returns the error of opening a connection through Pools, as
// a run opens it.
func connectErr(t *testing.T, driver, dsn string) error {
	t.Helper()
	p := connect.NewPools(&tables.Config{Connections: map[string]tables.Connection{"c": {Driver: driver, DSN: dsn}}})
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.DB(ctx, "c")
	if err == nil {
		t.Fatalf("connecting to %s succeeded", tables.RedactDSN(dsn))
	}
	return err
}

func queryErr(t *testing.T, db *sql.DB, q string) error {
	t.Helper()
	rows, err := db.Query(q)
	if err == nil {
		rows.Close()
		t.Fatalf("%s succeeded", q)
	}
	return err
}

// lockErr holds a row's lock in one transaction and returns the error of
// a second session, prepared by setup, that updates the row.
func lockErr(t *testing.T, db *sql.DB, setup, update string) error {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	must(t, err)
	defer tx.Rollback() //nolint:errcheck // the test's own lock
	_, err = tx.Exec(update)
	must(t, err)
	c, err := db.Conn(ctx)
	must(t, err)
	defer c.Close()
	_, err = c.ExecContext(ctx, setup)
	must(t, err)
	_, err = c.ExecContext(ctx, update)
	if err == nil {
		t.Fatal("the second update did not wait for the lock")
	}
	return err
}

// deadlockErr has two transactions take two rows in opposite orders and
// returns the error of the one the server picks as the victim.
func deadlockErr(t *testing.T, db *sql.DB, first, second string) error {
	t.Helper()
	ctx := context.Background()
	a, err := db.BeginTx(ctx, nil)
	must(t, err)
	defer a.Rollback() //nolint:errcheck
	b, err := db.BeginTx(ctx, nil)
	must(t, err)
	defer b.Rollback() //nolint:errcheck
	_, err = a.Exec(first)
	must(t, err)
	_, err = b.Exec(second)
	must(t, err)
	errA := make(chan error, 1)
	go func() { _, err := a.Exec(second); errA <- err }()
	time.Sleep(200 * time.Millisecond) // a waits for b's row
	_, errB := b.Exec(first)
	if errB != nil {
		b.Rollback() //nolint:errcheck // lets a go on
		<-errA
		return errB
	}
	return <-errA
}

// cutErr runs a slow query through a proxy and cuts the connection under
// it.
func cutErr(t *testing.T, driver, dsn, server, slow string) error {
	t.Helper()
	proxy := synctest.NewProxy(t, server)
	db := synctest.Open(t, driver, strings.Replace(dsn, server, proxy.Addr(), 1))
	go func() { time.Sleep(300 * time.Millisecond); proxy.Cut() }()
	return queryErr(t, db, slow)
}

func checkClasses(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.produce(t)
			if got := connect.Permanent(err); got != c.permanent {
				t.Fatalf("Permanent(%q (%T)) = %v, want %v", err, err, got, c.permanent)
			}
		})
	}
}

func TestErrorClassesPostgres(t *testing.T) {
	t.Parallel()
	dsn := synctest.Postgres(t)
	db := synctest.Open(t, "pgx", dsn)
	synctest.Exec(t, db, "CREATE TABLE t (id int PRIMARY KEY, v int)", "INSERT INTO t VALUES (1, 1), (2, 2)")
	checkClasses(t, []errorCase{
		{"authentication", true, func(t *testing.T) error {
			return connectErr(t, tables.DriverPostgres, strings.Replace(dsn, "postgres@", "syncd_no_such_role:pw@", 1))
		}},
		{"unknown column", true, func(t *testing.T) error { return queryErr(t, db, "SELECT no_such FROM t") }},
		{"syntax", true, func(t *testing.T) error { return queryErr(t, db, "SELECT id FROM t WHERE v = = 1") }},
		{"permission", true, func(t *testing.T) error {
			c, err := db.Conn(context.Background())
			must(t, err)
			defer c.Close()
			defer c.ExecContext(context.Background(), "RESET ROLE") //nolint:errcheck // back to the pool as it came
			_, err = c.ExecContext(context.Background(), "SET ROLE pg_monitor")
			must(t, err)
			_, err = c.ExecContext(context.Background(), "SELECT * FROM t")
			return err
		}},
		{"connection refused", false, func(t *testing.T) error {
			return connectErr(t, tables.DriverPostgres, strings.Replace(dsn, "127.0.0.1:5432", "127.0.0.1:1", 1))
		}},
		{"cut connection", false, func(t *testing.T) error {
			return cutErr(t, "pgx", dsn, "127.0.0.1:5432", "SELECT pg_sleep(5)")
		}},
		{"deadlock", false, func(t *testing.T) error {
			return deadlockErr(t, db, "UPDATE t SET v = v + 1 WHERE id = 1", "UPDATE t SET v = v + 1 WHERE id = 2")
		}},
		{"lock timeout", false, func(t *testing.T) error {
			return lockErr(t, db, "SET lock_timeout = '200ms'", "UPDATE t SET v = v + 1 WHERE id = 1")
		}},
	})
}

func TestErrorClassesMariaDB(t *testing.T) {
	t.Parallel()
	name, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	synctest.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB", "INSERT INTO t VALUES (1, 1), (2, 2)")
	user := synctest.UniqueName("syncd_u_")
	synctest.Exec(t, db, "CREATE USER "+user+"@'%' IDENTIFIED BY 'pw'")
	t.Cleanup(func() {
		if _, err := db.Exec("DROP USER " + user + "@'%'"); err != nil {
			t.Errorf("drop user %s: %v", user, err)
		}
	})
	base := strings.TrimSuffix(synctest.MariaDBDSN, "/")
	checkClasses(t, []errorCase{
		{"authentication", true, func(t *testing.T) error {
			return connectErr(t, tables.DriverMySQL, strings.Replace(base, "root@", user+":wrong@", 1)+"/")
		}},
		{"unknown column", true, func(t *testing.T) error { return queryErr(t, db, "SELECT no_such FROM t") }},
		{"syntax", true, func(t *testing.T) error { return queryErr(t, db, "SELECT id FROM t WHERE v = = 1") }},
		{"unknown table", true, func(t *testing.T) error { return queryErr(t, db, "SELECT id FROM no_such_table") }},
		{"permission", true, func(t *testing.T) error {
			other := synctest.Open(t, "mysql", strings.Replace(base, "root@", user+":pw@", 1)+"/")
			return queryErr(t, other, "SELECT * FROM "+name+".t")
		}},
		{"connection refused", false, func(t *testing.T) error {
			return connectErr(t, tables.DriverMySQL, strings.Replace(dsn, "127.0.0.1:3306", "127.0.0.1:1", 1))
		}},
		{"cut connection", false, func(t *testing.T) error {
			return cutErr(t, "mysql", dsn, "127.0.0.1:3306", "SELECT SLEEP(5)")
		}},
		{"deadlock", false, func(t *testing.T) error {
			return deadlockErr(t, db, "UPDATE t SET v = v + 1 WHERE id = 1", "UPDATE t SET v = v + 1 WHERE id = 2")
		}},
		{"lock wait timeout", false, func(t *testing.T) error {
			return lockErr(t, db, "SET SESSION innodb_lock_wait_timeout = 1", "UPDATE t SET v = v + 1 WHERE id = 1")
		}},
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
