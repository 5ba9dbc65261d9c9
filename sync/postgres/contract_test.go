package postgres_test

import (
	"testing"

	"github.com/syncd/syncd/sync/contract"
	"github.com/syncd/syncd/sync/postgres"
	"github.com/syncd/syncd/sync/synctest"
)

// TestContract syncs real PostgreSQL tables into MariaDB.
func TestContract(t *testing.T) {
	contract.Run(t, contract.Fixture{
		Dialect:     postgres.Dialect{},
		NewDatabase: synctest.Postgres,
		Open:        postgres.OpenDB,
		Types: contract.Types{BigInt: "bigint", Int: "integer", Text: "varchar(200)", Decimal: "numeric(38,10)",
			Timestamp: "timestamp(6)", TimestampName: "TIMESTAMP"},
	})
}
