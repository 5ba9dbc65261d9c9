package mysql_test

import (
	"testing"

	"github.com/syncd/syncd/sync/contract"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/synctest"
)

// TestContract syncs real MariaDB tables into another MariaDB database.
func TestContract(t *testing.T) {
	contract.Run(t, contract.Fixture{
		Dialect: mysql.Dialect{},
		NewDatabase: func(t testing.TB) string {
			_, dsn := synctest.MariaDB(t)
			return dsn
		},
		Open: mysql.OpenDB,
		Types: contract.Types{BigInt: "BIGINT", Int: "INT", Text: "VARCHAR(200)", Decimal: "DECIMAL(38,10)",
			Timestamp: "DATETIME(6)", TimestampName: "DATETIME"},
	})
}
