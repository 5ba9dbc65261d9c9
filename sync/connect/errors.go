package connect

import (
	"errors"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Permanent reports whether no retry can fix err: a declaration that does
// not fit the source or target, or a server's answer that only a person
// can change (a wrong password, an unknown column, SQL that does not
// parse, a missing permission). Anything else (connections refused or
// cut, deadlocks, lock wait timeouts, a server restarting) may pass on a
// retry.
func Permanent(err error) bool {
	if errors.Is(err, datasync.ErrDeclaration) || errors.Is(err, datasync.ErrSchemaChanged) ||
		errors.Is(err, tables.ErrBadIdent) || errors.Is(err, tables.ErrUnknownConnection) {
		return true
	}
	// Each driver's Classify knows its own errors only.
	for _, d := range datasync.SourceDrivers() {
		if c := d.Classify(err); c != datasync.ClassUnknown {
			return c == datasync.ClassPermanent
		}
	}
	return false
}
