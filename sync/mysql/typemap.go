package mysql

import (
	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.TypeMapper = Dialect{}

// MySQLType implements datasync.TypeMapper: a MySQL or MariaDB column is
// created as its catalog declares it (COLUMN_TYPE: varchar(20),
// decimal(12,2), int(10) unsigned, enum('a','b')...), since the converter
// hands its values over unchanged in kind. MariaDB's json, which its
// catalog reports as longtext, becomes longtext.
func (Dialect) MySQLType(c datasync.ColumnInfo, _ bool) (string, error) {
	return c.Type, nil
}
