package connect

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/mssql"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/postgres"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// echoed is a password that the DSNs of these tests also put where a
// driver or a server quotes the DSN back (a bad value, the user name), so
// that the error text carries it: what a redaction missing anywhere would
// print. Lower case, since Babelfish lower-cases the login it quotes.
const echoed = "pw-echoed-9x"

// assertHidden fails unless err is set, the driver's own error in its
// chain holds the password (else the test proves nothing), and err's text
// does not.
func assertHidden(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if !echoedInChain(err) {
		t.Fatalf("%s: %v: the driver no longer quotes the password back; find another DSN that makes it", what, err)
	}
	if strings.Contains(err.Error(), echoed) {
		t.Fatalf("%s printed the password: %v", what, err)
	}
}

func echoedInChain(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if strings.Contains(err.Error(), echoed) {
			return true
		}
	}
	return false
}

// Each dialect's OpenDB, which every pool of syncd goes through, hides a
// password that its driver quotes back in a parse error.
func TestOpenDBHidesAnEchoedPassword(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		driver string
		open   func(string) (*sql.DB, error)
		dsn    string
	}{
		{tables.DriverMySQL, mysql.OpenDB, "syncd:" + echoed + "@tcp(127.0.0.1:1)/x?timeout=" + echoed},
		{tables.DriverPostgres, postgres.OpenDB, "postgres://syncd:" + echoed + "@127.0.0.1:1/x?connect_timeout=" + echoed},
		{tables.DriverSQLServer, mssql.OpenDB, "sqlserver://sa:" + echoed + "@127.0.0.1:1?dial+timeout=" + echoed},
	} {
		_, err := c.open(c.dsn)
		assertHidden(t, c.driver+" OpenDB", err)
	}
}

// A pool that cannot connect says which connection and DSN failed, with
// the password hidden in both, though the server quoted it (as the user
// name here).
func TestPoolsHideAnEchoedPassword(t *testing.T) {
	t.Parallel()
	p := NewPools(&tables.Config{File: "syncd.yaml", Connections: map[string]tables.Connection{
		"my": {Driver: tables.DriverMySQL, DSN: echoed + ":" + echoed + "@tcp(127.0.0.1:3306)/"},
		"pg": {Driver: tables.DriverPostgres, DSN: "postgres://" + echoed + ":" + echoed + "@127.0.0.1:5432/postgres?sslmode=disable"},
	}})
	t.Cleanup(func() { p.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"my", "pg"} {
		_, err := p.DB(ctx, name)
		assertHidden(t, "connection "+name, err)
		if !strings.Contains(err.Error(), "connect to "+name+" (") || !strings.Contains(err.Error(), ":***@") {
			t.Fatalf("connection %s: %v; want it named, with its DSN redacted", name, err)
		}
	}
}

// mssql.OpenSource (syncd-bench and tests open sources with it) hides a
// login that the server quotes back. It needs the SQL Server of
// SYNCD_TEST_MSSQL_DSN, a sqlserver:// URL.
func TestMSSQLOpenSourceHidesAnEchoedPassword(t *testing.T) {
	t.Parallel()
	// The test server, as every SQL Server test finds it: under CI a
	// missing one fails the run.
	admin := synctest.MSSQLAdmin(t)
	u, err := url.Parse(admin)
	if err != nil || u.Scheme != "sqlserver" {
		t.Fatalf("SYNCD_TEST_MSSQL_DSN is no sqlserver:// URL (%v): this test puts the echoed login into one", err)
	}
	u.User = url.UserPassword(echoed, echoed)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = mssql.OpenSource(ctx, u.String(), tables.Table{Name: "t", Source: tables.Source{Table: "t", Key: []string{"id"}, Cursor: "c"}})
	assertHidden(t, "mssql OpenSource", err)
}
