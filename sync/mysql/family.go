package mysql

import (
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.Checksummer = Dialect{}

// Family implements datasync.Checksummer: the family of a column of this
// server, by the type name its driver reports.
func (Dialect) Family(c datasync.Column) datasync.Family {
	t := strings.TrimPrefix(strings.ToUpper(c.DatabaseType), "UNSIGNED ")
	switch t {
	case "SMALLINT", "INTEGER", "INT", "BIGINT", "TINYINT", "MEDIUMINT", "YEAR", "BIT":
		return datasync.FamilyInt
	case "NUMERIC", "DECIMAL":
		return datasync.FamilyDecimal
	case "REAL", "FLOAT", "DOUBLE":
		return datasync.FamilyFloat
	case "TEXT", "VARCHAR", "CHAR", "NVARCHAR", "NCHAR", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET":
		return datasync.FamilyText
	case "TIMESTAMP", "DATETIME":
		return datasync.FamilyTime
	case "DATE":
		return datasync.FamilyDate
	case "BOOL", "BOOLEAN":
		return datasync.FamilyBool
	case "BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB":
		return datasync.FamilyBytes
	}
	return datasync.FamilyOther
}
