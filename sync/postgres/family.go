package postgres

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
	case "INT2", "INT4", "INT8", "SMALLINT", "INTEGER", "INT", "BIGINT", "BIT":
		return datasync.FamilyInt
	case "NUMERIC", "DECIMAL", "MONEY":
		return datasync.FamilyDecimal
	case "FLOAT4", "FLOAT8", "REAL", "FLOAT", "DOUBLE":
		return datasync.FamilyFloat
	case "TEXT", "VARCHAR", "CHAR", "BPCHAR", "NAME":
		return datasync.FamilyText
	case "TIMESTAMP":
		return datasync.FamilyTime
	case "DATE":
		return datasync.FamilyDate
	case "BOOL", "BOOLEAN":
		return datasync.FamilyBool
	case "BYTEA":
		return datasync.FamilyBytes
	case "UUID":
		return datasync.FamilyUUID
	}
	return datasync.FamilyOther
}
