package mssql

import (
	"errors"

	mssql "github.com/microsoft/go-mssqldb"

	datasync "github.com/syncd/syncd/sync"
)

// permanentErrors are the SQL Server error numbers no retry fixes.
var permanentErrors = map[int32]bool{
	102:   true, // incorrect syntax near
	156:   true, // incorrect syntax near a keyword
	207:   true, // invalid column name
	208:   true, // invalid object name
	229:   true, // permission denied on an object
	230:   true, // permission denied on a column
	262:   true, // permission denied in a database
	916:   true, // the login cannot use the database
	4060:  true, // cannot open the database of the login
	18456: true, // login failed
}

// Classify tells whether err, from SQL Server, can be fixed by a retry.
// Errors of other drivers are ClassUnknown; other server errors (1205
// deadlock victim, 1222 lock request timeout) are ClassTransient.
func Classify(err error) datasync.ErrorClass {
	var se mssql.Error
	if !errors.As(err, &se) {
		return datasync.ClassUnknown
	}
	for _, e := range append(se.All, se) {
		if permanentErrors[e.Number] {
			return datasync.ClassPermanent
		}
	}
	return datasync.ClassTransient
}
