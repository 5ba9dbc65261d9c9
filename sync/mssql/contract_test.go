package mssql_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/contract"
	"github.com/syncd/syncd/sync/mssql"
	"github.com/syncd/syncd/sync/synctest"
)

// TestContract syncs real SQL Server tables into MariaDB. It needs a SQL
// Server where the login may create databases (docker-compose.yml's).
func TestContract(t *testing.T) {
	admin := os.Getenv("SYNCD_TEST_MSSQL_DSN")
	if admin == "" {
		t.Skip("SYNCD_TEST_MSSQL_DSN not set")
	}
	contract.Run(t, contract.Fixture{
		Dialect:     mssql.Dialect{},
		NewDatabase: func(t testing.TB) string { return newDatabase(t, admin) },
		Open:        mssql.OpenDB,
		Types: contract.Types{BigInt: "BIGINT", Int: "INT", Text: "NVARCHAR(200)", Decimal: "DECIMAL(38,10)",
			Timestamp: "DATETIME2(6)", TimestampName: "DATETIME2"},
	})
}

// newDatabase creates a database of the test's own and returns a DSN for it.
func newDatabase(t testing.TB, admin string) string {
	db, err := mssql.OpenDB(admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	name := synctest.UniqueName("syncd_t_")
	synctest.Exec(t, db, "CREATE DATABASE "+name+" COLLATE Latin1_General_100_CI_AS_SC_UTF8")
	t.Cleanup(func() {
		_, _ = db.Exec("ALTER DATABASE " + name + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
		_, _ = db.Exec("DROP DATABASE " + name)
	})
	if u, err := url.Parse(admin); err == nil && u.Scheme == "sqlserver" {
		q := u.Query()
		q.Set("database", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSuffix(admin, ";") + ";database=" + name
}
