package mssql

import (
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

var (
	_ datasync.HashEncoder         = Dialect{}
	_ datasync.ColumnCanonicalizer = Dialect{}
)

// CanonicalColumn implements datasync.ColumnCanonicalizer: a datetime is
// rounded to the millisecond, as the driver reads its 1/300 s ticks
// (.003, .007) and the target holds them; SQL Server 2016+ would convert
// it to datetime2 exactly (.003333).
func (d Dialect) CanonicalColumn(c string, col datasync.Column, f datasync.Family) string {
	if f == datasync.FamilyTime && col.DatabaseType == typeDateTime {
		return d.timeText("CAST(" + c + " AS DATETIME2(3))")
	}
	return d.Canonical(c, f)
}

// timeText prints a datetime2 x as yyyy-mm-dd hh:mi:ss.ffffff: style 120
// and the microseconds, six digits always (Babelfish's style 121 drops
// trailing zeros). NULL stays NULL: + is not CONCAT.
//
// Babelfish runs CONVERT with a style and DATEPART as functions written
// in SQL: over a million rows they took 8 s per time column, most of a
// verify. PostgreSQL's own to_char, which T-SQL on Babelfish can call by
// its pg_catalog name, prints the same text in a tenth of that. It is
// given a timestamp without time zone (pg_catalog.timestamp(x, 6)): left
// to itself PostgreSQL picks to_char(timestamptz), which goes through the
// server's time zone and moves a wall-clock time in a DST gap by an hour.
func (d Dialect) timeText(x string) string {
	if d.Babelfish {
		return "pg_catalog.to_char(pg_catalog.timestamp(" + x + ", 6), 'YYYY-MM-DD HH24:MI:SS.US')"
	}
	return "CONVERT(VARCHAR(19), " + x + ", 120) + '.' + RIGHT('00000' + CAST(DATEPART(MICROSECOND, " + x + ") AS VARCHAR(6)), 6)"
}

// dateText prints a date as yyyy-mm-dd: style 23. On Babelfish CONVERT
// with style 23 took 400 s over a million rows; PostgreSQL's to_char of
// the date as a timestamp without time zone prints it directly.
func (d Dialect) dateText(c string) string {
	if d.Babelfish {
		return "pg_catalog.to_char(pg_catalog.timestamp(" + c + "), 'YYYY-MM-DD')"
	}
	return "CONVERT(VARCHAR(10), " + c + ", 23)"
}

// Canonical implements datasync.Checksummer: each family as the text the
// other dialects render it as. Times are rounded to the microsecond
// (datetime2(7)'s last digit, as MySQL rounds it); style 23 prints a date
// as yyyy-mm-dd. Integers go
// through BIGINT so that a rowversion is its number, as the target holds
// it (a bit or an int is unchanged by it).
func (d Dialect) Canonical(c string, f datasync.Family) string {
	switch f {
	case datasync.FamilyInt:
		return "CAST(CAST(" + c + " AS BIGINT) AS VARCHAR(20))"
	case datasync.FamilyDecimal:
		return d.decimalText(c)
	case datasync.FamilyFloat:
		return "CAST(CAST(" + c + " AS DECIMAL(38,6)) AS VARCHAR(50))"
	case datasync.FamilyTime:
		return d.timeText("CAST(" + c + " AS DATETIME2(6))")
	case datasync.FamilyDate:
		return d.dateText(c)
	case datasync.FamilyBool:
		return "CAST(" + c + " AS VARCHAR(1))"
	case datasync.FamilyBytes:
		return d.hex(c)
	case datasync.FamilyUUID:
		return "LOWER(CONVERT(VARCHAR(36), " + c + "))"
	}
	return "CAST(" + c + " AS NVARCHAR(MAX))"
}

// decimalText prints an exact number with 10 decimal places. Babelfish
// keeps a decimal(p,2)'s 2 places through the cast (its numeric prints its
// own scale); adding a zero of 10 places gives it 10. SQL Server would
// lose the 10th place of a decimal(38,10) that way (the sum's precision
// is over 38).
func (d Dialect) decimalText(c string) string {
	if d.Babelfish {
		return "CAST(CAST(" + c + " AS DECIMAL(38,10)) + 0.0000000000 AS VARCHAR(50))"
	}
	return "CAST(CAST(" + c + " AS DECIMAL(38,10)) AS VARCHAR(50))"
}

// hex renders a binary as lower-case hex without 0x. SQL Server's
// CONVERT style 2 does it; Babelfish ignores the style (it gives the raw
// bytes), but turns a binary into its 0x text when CONCAT makes it text.
// CONCAT makes NULL ”, hence the CASE.
func (d Dialect) hex(c string) string {
	if d.Babelfish {
		return "CASE WHEN " + c + " IS NOT NULL THEN LOWER(SUBSTRING(CONCAT(" + c + ", ''), 3, 2147483647)) END"
	}
	return "LOWER(CONVERT(VARCHAR(MAX), " + c + ", 2))"
}

// Concat implements datasync.Checksummer. CONCAT takes at least two
// arguments, hence the trailing empty string; N” makes the result
// NVARCHAR, whose bytes Hash32 hashes.
func (Dialect) Concat(parts []string) string {
	return "CONCAT(" + strings.Join(parts, ", ") + ", N'')"
}

// Hash32 implements datasync.Checksummer: the first 4 bytes of the MD5
// of the text's bytes, as an unsigned number (a binary(4) cast to BIGINT
// is padded with zeros on the left). HASHBYTES hashes an NVARCHAR's bytes
// as the server holds them, see HashEncoding; no UTF-8 collation is
// needed (SQL Server 2019's _UTF8 ones). Babelfish's SUBSTRING of a
// binary gives its 0x text, so the 4 bytes are taken by a cast.
func (Dialect) Hash32(text string) string {
	return "CAST(CAST(HASHBYTES('MD5', " + text + ") AS BINARY(4)) AS BIGINT)"
}

// HashEncoding implements datasync.HashEncoder: SQL Server holds an
// NVARCHAR as UTF-16LE, Babelfish as UTF-8.
func (d Dialect) HashEncoding() string {
	if d.Babelfish {
		return datasync.EncodingUTF8
	}
	return datasync.EncodingUTF16LE
}
