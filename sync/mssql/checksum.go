package mssql

import (
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

// Canonical implements datasync.Checksummer: each family as the text the
// other dialects render it as. Style 121 prints a datetime2(6) as
// yyyy-mm-dd hh:mi:ss.ffffff, style 23 a date as yyyy-mm-dd, style 2 a
// binary as hex without 0x.
func (Dialect) Canonical(c string, f datasync.Family) string {
	switch f {
	case datasync.FamilyInt:
		return "CAST(" + c + " AS VARCHAR(20))"
	case datasync.FamilyDecimal:
		return "CAST(CAST(" + c + " AS DECIMAL(38,10)) AS VARCHAR(50))"
	case datasync.FamilyFloat:
		return "CAST(CAST(" + c + " AS DECIMAL(38,6)) AS VARCHAR(50))"
	case datasync.FamilyTime:
		return "CONVERT(VARCHAR(26), CAST(" + c + " AS DATETIME2(6)), 121)"
	case datasync.FamilyDate:
		return "CONVERT(VARCHAR(10), " + c + ", 23)"
	case datasync.FamilyBool:
		return "CAST(" + c + " AS VARCHAR(1))"
	case datasync.FamilyBytes:
		return "LOWER(CONVERT(VARCHAR(MAX), " + c + ", 2))"
	case datasync.FamilyUUID:
		return "LOWER(CONVERT(VARCHAR(36), " + c + "))"
	}
	return "CAST(" + c + " AS NVARCHAR(MAX))"
}

// Concat implements datasync.Checksummer. CONCAT takes at least two
// arguments, hence the trailing empty string.
func (Dialect) Concat(parts []string) string {
	return "CONCAT(" + strings.Join(parts, ", ") + ", N'')"
}

// Hash32 implements datasync.Checksummer. HASHBYTES hashes the bytes it is
// given, and an NVARCHAR's bytes are UTF-16: the text is converted to
// VARCHAR under a UTF-8 collation (SQL Server 2019 and later) so the MD5
// is of the same UTF-8 bytes PostgreSQL and MySQL hash. A 4-byte binary
// cast to BIGINT is unsigned.
func (Dialect) Hash32(text string) string {
	return "CAST(SUBSTRING(HASHBYTES('MD5', CONVERT(VARCHAR(MAX), " + text + " COLLATE Latin1_General_100_BIN2_UTF8)), 1, 4) AS BIGINT)"
}
