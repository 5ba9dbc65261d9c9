package mysql

import (
	"errors"

	"github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
)

// permanentErrors are the MySQL/MariaDB error numbers no retry fixes.
var permanentErrors = map[uint16]bool{
	1044: true, // access denied to a database
	1045: true, // access denied: wrong user or password
	1049: true, // unknown database
	1054: true, // unknown column
	1064: true, // syntax error
	1142: true, // command denied on a table: permission
	1143: true, // command denied on a column: permission
	1146: true, // table does not exist
	1227: true, // access denied: a privilege is missing
	1305: true, // function does not exist
	1370: true, // execute denied on a routine
}

// Classify tells whether err, from MySQL or MariaDB, can be fixed by a
// retry. Errors of other drivers are ClassUnknown; other server errors
// (1213 deadlock, 1205 lock wait timeout, 1053 shutdown, a lost
// connection) are ClassTransient.
func Classify(err error) datasync.ErrorClass {
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &me) && permanentErrors[me.Number]:
		return datasync.ClassPermanent
	case me != nil, errors.Is(err, mysql.ErrInvalidConn):
		return datasync.ClassTransient
	}
	return datasync.ClassUnknown
}
