package mysql

import (
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

// Canonical implements datasync.Checksummer: each family as the text the
// other dialects render it as.
func (Dialect) Canonical(c string, f datasync.Family) string {
	switch f {
	case datasync.FamilyInt:
		return "CAST(" + c + " + 0 AS CHAR)" // + 0: a BIT column as its number
	case datasync.FamilyDecimal:
		return "CAST(CAST(" + c + " AS DECIMAL(38,10)) AS CHAR)"
	case datasync.FamilyFloat:
		return "CAST(CAST(" + c + " AS DECIMAL(38,6)) AS CHAR)"
	case datasync.FamilyTime:
		return "DATE_FORMAT(" + c + ", '%Y-%m-%d %H:%i:%s.%f')"
	case datasync.FamilyDate:
		return "DATE_FORMAT(" + c + ", '%Y-%m-%d')"
	case datasync.FamilyBool:
		return "CAST(" + c + " + 0 AS CHAR)"
	case datasync.FamilyBytes:
		return "LOWER(HEX(" + c + "))"
	case datasync.FamilyUUID:
		return "LOWER(CONVERT(" + c + " USING utf8mb4))"
	}
	return "CONVERT(" + c + " USING utf8mb4)"
}

// Concat implements datasync.Checksummer.
func (Dialect) Concat(parts []string) string { return "CONCAT(" + strings.Join(parts, ", ") + ")" }

// Hash32 implements datasync.Checksummer.
func (Dialect) Hash32(text string) string {
	return "CAST(CONV(SUBSTRING(MD5(" + text + "), 1, 8), 16, 10) AS UNSIGNED)"
}

var _ datasync.EncodingHasher = Dialect{}

// Hash32In implements datasync.EncodingHasher: the text converted to
// encoding (utf16le, as SQL Server hashes an NVARCHAR) before MD5.
func (d Dialect) Hash32In(text, encoding string) string {
	if encoding == datasync.EncodingUTF8 {
		return d.Hash32(text)
	}
	return d.Hash32("CONVERT(" + text + " USING " + encoding + ")")
}
