package mssql_test

import (
	"testing"

	"github.com/syncd/syncd/sync/contract"
	"github.com/syncd/syncd/sync/mssql"
	"github.com/syncd/syncd/sync/synctest"
)

// TestContract syncs real SQL Server tables into MariaDB. It needs a SQL
// Server where the login may create databases (docker-compose.yml's).
func TestContract(t *testing.T) {
	synctest.MSSQLAdmin(t)
	contract.Run(t, contract.Fixture{
		Dialect:     mssql.Dialect{},
		NewDatabase: func(t testing.TB) string { return synctest.SQLServer(t) },
		Open:        mssql.OpenDB,
		Types: contract.Types{BigInt: "BIGINT", Int: "INT", Text: "NVARCHAR(200)", Decimal: "DECIMAL(38,10)",
			Timestamp: "DATETIME2(6)", TimestampName: "DATETIME2"},
	})
}
