package mssql

import (
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

var _ datasync.Checksummer = Dialect{}

// Family implements datasync.Checksummer: the family of a column of this
// server, by the type name its driver reports.
func (Dialect) Family(c datasync.Column) datasync.Family {
	t := strings.ToUpper(c.DatabaseType)
	switch t {
	case "SMALLINT", "INTEGER", "INT", "BIGINT", "TINYINT", "BIT":
		return datasync.FamilyInt
	case "NUMERIC", "DECIMAL", "MONEY", "SMALLMONEY":
		return datasync.FamilyDecimal
	case "REAL", "FLOAT":
		return datasync.FamilyFloat
	case "TEXT", "VARCHAR", "CHAR", "NVARCHAR", "NCHAR", "NTEXT":
		return datasync.FamilyText
	case "TIMESTAMP", "DATETIME", "DATETIME2", "SMALLDATETIME":
		return datasync.FamilyTime
	case "DATE":
		return datasync.FamilyDate
	case typeRowversion: // a uint64 counter, an unsigned integer in the target
		return datasync.FamilyInt
	case "BINARY", "VARBINARY", "IMAGE":
		return datasync.FamilyBytes
	case "UNIQUEIDENTIFIER":
		return datasync.FamilyUUID
	}
	return datasync.FamilyOther
}
