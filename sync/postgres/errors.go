package postgres

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	datasync "github.com/syncd/syncd/sync"
)

// permanentClasses are the SQLSTATE classes no retry fixes: 28 invalid
// authorization (a wrong password, an unknown role), 3D an unknown
// database, 3F an unknown schema, 42 syntax errors and access rule
// violations (unknown column or table, permission denied).
var permanentClasses = []string{"28", "3D", "3F", "42"}

// Classify tells whether err, from PostgreSQL, can be fixed by a retry.
// Errors of other drivers are ClassUnknown; server errors outside the
// permanent classes (40P01 deadlock, 55P03 lock timeout, 57P01 shutdown,
// 08 connection) are ClassTransient.
func Classify(err error) datasync.ErrorClass {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return datasync.ClassUnknown
	}
	for _, c := range permanentClasses {
		if strings.HasPrefix(pe.Code, c) {
			return datasync.ClassPermanent
		}
	}
	return datasync.ClassTransient
}
