// Package synctest holds what the tests of syncd share: a fresh database
// of its own for each test on the real servers of the machine, and the
// contract suite every source dialect passes.
package synctest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"  // the MariaDB/MySQL driver
	_ "github.com/jackc/pgx/v5/stdlib"  // the PostgreSQL driver
	_ "github.com/microsoft/go-mssqldb" // the SQL Server driver
)

// Where the test servers are; each can be moved with an environment
// variable of the same name.
var (
	MariaDBDSN  = env("SYNCD_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/")
	PostgresDSN = env("SYNCD_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unreachable stops a test whose server is down: under CI that is a failure
// with a hint, elsewhere a skip that says why.
func unreachable(t testing.TB, what, hint string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not reachable (%v); start it with: %s", what, err, hint)
	if os.Getenv("CI") != "" || os.Getenv("SYNCD_TEST_REQUIRE_SERVERS") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// UniqueName returns prefix followed by random hex, a name no other test
// run uses.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// MariaDB creates a database of its own for the test on the MariaDB
// server, drops it when the test ends, and returns its name and a DSN for
// it (parseTime on, times as UTC wall clock).
func MariaDB(t testing.TB) (name, dsn string) {
	t.Helper()
	admin, err := sql.Open("mysql", MariaDBDSN)
	if err == nil {
		err = pingSoon(admin)
	}
	if err != nil {
		unreachable(t, "MariaDB at "+MariaDBDSN, "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd", err)
	}
	name = UniqueName("syncd_t_")
	mustExec(t, admin, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	return name, MariaDBDSN + name + "?parseTime=true&loc=UTC&multiStatements=true"
}

// Postgres creates a database of its own for the test on the PostgreSQL
// server, drops it when the test ends, and returns a DSN for it.
func Postgres(t testing.TB) (dsn string) {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresDSN)
	if err == nil {
		err = pingSoon(admin)
	}
	if err != nil {
		unreachable(t, "PostgreSQL at "+PostgresDSN, "pg_ctlcluster --skip-systemctl-redirect 15 main start", err)
	}
	name := UniqueName("syncd_t_")
	mustExec(t, admin, "CREATE DATABASE "+name+" ENCODING 'UTF8' TEMPLATE template0")
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return replaceDatabase(PostgresDSN, name)
}

// MSSQLHint says how to get a SQL Server for the tests.
const MSSQLHint = "set SYNCD_TEST_MSSQL_DSN to a SQL Server whose login may create databases:" +
	" Babelfish with ../shared/babelfish/start (what make test and CI use)," +
	" or SQL Server with docker compose up -d mssql (README.md: Tests)"

// MSSQLAdmin returns the DSN of the test SQL Server (SYNCD_TEST_MSSQL_DSN).
// Without one, or with "none" (make test on a machine without
// ../shared/babelfish), the test fails under CI or
// SYNCD_TEST_REQUIRE_SERVERS and is skipped elsewhere, with one line
// saying how to get a server.
func MSSQLAdmin(t testing.TB) string {
	t.Helper()
	dsn, missing, required := mssqlAdmin(os.Getenv)
	switch {
	case missing != "" && required:
		t.Fatal(missing + ": " + MSSQLHint)
	case missing != "":
		t.Skip(missing + ": " + MSSQLHint)
	}
	return dsn
}

// mssqlAdmin reads the test SQL Server's DSN from getenv: missing says
// why there is none, and required whether that fails the test (CI, or
// SYNCD_TEST_REQUIRE_SERVERS) rather than skipping it. An explicit
// "none" is no way out of a required server.
func mssqlAdmin(getenv func(string) string) (dsn, missing string, required bool) {
	dsn = getenv("SYNCD_TEST_MSSQL_DSN")
	required = getenv("CI") != "" || getenv("SYNCD_TEST_REQUIRE_SERVERS") != ""
	switch dsn {
	case "none":
		return "", "no SQL Server (SYNCD_TEST_MSSQL_DSN=none)", required
	case "":
		return "", "SYNCD_TEST_MSSQL_DSN is not set", required
	}
	return dsn, "", required
}

// SQLServer creates a database of its own for the test on the SQL Server
// that SYNCD_TEST_MSSQL_DSN names (see MSSQLAdmin), drops it when the test
// ends, and returns a DSN for it. The server may be Babelfish, shared with
// other test runs: only the test's own database is touched. On SQL Server
// the database's collation is Latin1_General_100_CI_AS_SC (2012+), whose
// NVARCHAR functions count emoji as one character; Babelfish takes no
// COLLATE here and keeps its default.
func SQLServer(t testing.TB) (dsn string) {
	t.Helper()
	admin := MSSQLAdmin(t)
	db, err := sql.Open("sqlserver", admin)
	if err == nil {
		err = pingSoon(db)
	}
	if err != nil {
		unreachable(t, "SQL Server of SYNCD_TEST_MSSQL_DSN", MSSQLHint, err)
	}
	name := UniqueName("syncd_t_")
	collate, bf := " COLLATE Latin1_General_100_CI_AS_SC", IsBabelfish(t, db)
	if bf {
		collate = ""
	}
	if err := execRetried(db, "CREATE DATABASE "+name+collate); err != nil {
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		if !bf {
			_, _ = db.Exec("ALTER DATABASE " + name + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
		}
		if err := execRetried(db, "DROP DATABASE "+name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		db.Close()
	})
	if u, err := url.Parse(admin); err == nil && u.Scheme == "sqlserver" {
		q := u.Query()
		q.Set("database", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSuffix(admin, ";") + ";database=" + name
}

// execRetried runs q, again after a moment while Babelfish reports that
// another session changed the same catalog row: it creates and drops
// databases in shared PostgreSQL catalogs, and tests run side by side.
func execRetried(db *sql.DB, q string) error {
	var err error
	for i := 0; i < 20; i++ {
		if _, err = db.Exec(q); err == nil || !strings.Contains(err.Error(), "concurrently") {
			return err
		}
		time.Sleep(time.Duration(50+i*50) * time.Millisecond)
	}
	return err
}

// IsBabelfish reports whether db reaches Babelfish for PostgreSQL rather
// than SQL Server (SERVERPROPERTY('babelfish') is 1 there, NULL on SQL
// Server).
func IsBabelfish(t testing.TB, db *sql.DB) bool {
	t.Helper()
	var bf sql.NullInt64
	if err := db.QueryRow("SELECT CAST(SERVERPROPERTY('babelfish') AS INT)").Scan(&bf); err != nil {
		t.Fatalf("ask which T-SQL server this is: %v", err)
	}
	return bf.Valid && bf.Int64 == 1
}

// replaceDatabase swaps the database of a postgres:// URL.
func replaceDatabase(url, name string) string {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	return url[:strings.LastIndexByte(url, '/')+1] + name + q
}

// Open opens a database/sql pool and closes it when the test ends.
func Open(t testing.TB, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pingSoon(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Exec runs statements on db, failing the test on the first error.
func Exec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		mustExec(t, db, q)
	}
}

// CheckGolden compares got with testdata/NAME.golden, or with update
// writes got there first (each package's -update flag).
func CheckGolden(t testing.TB, name, got string, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s--- want\n%s", path, got, want)
	}
}
