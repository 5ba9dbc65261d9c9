package mssql

import (
	"fmt"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltypes"
)

var _ datasync.TypeMapper = Dialect{}

// MySQLType implements datasync.TypeMapper: the MySQL type that holds what
// the converter (convert.go) gives for a column, as docs/sqlserver.md
// tabulates it. Exact values stay exact (decimal and money as DECIMAL,
// never DOUBLE); time types keep their wall clock, at most to the
// microsecond MySQL stores (datetime2(7)'s last digit is rounded; the
// cursor itself is kept exactly in the state store).
func (Dialect) MySQLType(c datasync.ColumnInfo, indexed bool) (string, error) {
	switch c.Type {
	case typeBit:
		return "TINYINT(1)", nil // the converter gives 0 or 1
	case typeTinyInt:
		return "TINYINT UNSIGNED", nil // 0..255 in SQL Server
	case typeSmallInt, typeInt, typeBigInt:
		return c.Type, nil
	case typeReal:
		return "FLOAT", nil
	case typeFloat:
		return "DOUBLE", nil
	case typeDecimal, typeNumeric:
		return fmt.Sprintf("DECIMAL(%d,%d)", max(c.Precision, 1), c.Scale), nil
	case typeMoney:
		return "DECIMAL(19,4)", nil
	case typeSmallMoney:
		return "DECIMAL(10,4)", nil
	case typeDate:
		return "DATE", nil
	case typeTime:
		return fmt.Sprintf("TIME(%d)", mysqltypes.FractionDigits(c.Scale)), nil
	case typeSmallDateTime:
		return "DATETIME", nil
	case typeDateTime:
		return "DATETIME(3)", nil
	case typeDateTime2:
		return fmt.Sprintf("DATETIME(%d)", mysqltypes.FractionDigits(c.Scale)), nil
	case typeDateTimeOffset:
		// The converter gives the instant in UTC; the offset is not kept.
		return fmt.Sprintf("DATETIME(%d)", mysqltypes.FractionDigits(c.Scale)), nil
	case typeChar, typeNChar, typeVarChar, typeNVarChar:
		return mysqltypes.Text(c.Length, indexed), nil
	case typeText, typeNText, typeXML:
		return "LONGTEXT", nil
	case typeBinary:
		return mysqltypes.Binary(c.Length, true, indexed), nil
	case typeVarBinary:
		return mysqltypes.Binary(c.Length, false, indexed), nil
	case typeImage:
		return "LONGBLOB", nil
	case typeGUID:
		return "CHAR(36)", nil // canonical text, upper case
	case typeRowversion:
		return "BIGINT UNSIGNED", nil // the converter gives a uint64
	}
	return "", fmt.Errorf("SQL Server type %s has no MySQL counterpart: convert it in a query: source (e.g. CAST(col AS nvarchar(max)))", c.Type)
}
