package connect_test

import (
	"testing"

	"github.com/syncd/syncd/sync/synctest"
)

// A table that does not exist (MySQL 1146: a source or target table
// dropped or misspelled) stays missing whatever the retries: permanent.
func TestUnknownTableIsPermanent(t *testing.T) {
	t.Parallel()
	_, dsn := synctest.MariaDB(t)
	db := synctest.Open(t, "mysql", dsn)
	checkClasses(t, []errorCase{
		{"unknown table", true, func(t *testing.T) error { return queryErr(t, db, "SELECT * FROM syncd_no_such_table") }},
	})
}
