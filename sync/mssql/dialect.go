// Package mssql is the SQL Server source dialect of syncd, over
// github.com/microsoft/go-mssqldb: how to quote, page, bound a run, turn
// the driver's values into portable ones and bind them back as parameters
// that compare in the column's own type.
//
// The type names it switches on are the driver's DatabaseTypeName
// (types.go: makeGoLangTypeName), with one addition: ROWVERSION, which the
// driver reports as BINARY and RefineColumns tells apart (see source.go).
package mssql

import (
	"strconv"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Dialect is SQL Server's datasync.Dialect and datasync.Cataloger. The
// zero value speaks to SQL Server; DialectOf tells the server it reaches.
type Dialect struct {
	// Babelfish is set for Babelfish for PostgreSQL, a PostgreSQL that
	// speaks T-SQL: it bounds rowversion cursors and renders checksums
	// its own way (server.go).
	Babelfish bool
}

var (
	_ datasync.Dialect       = Dialect{}
	_ datasync.Cataloger     = Dialect{}
	_ datasync.SchemaErrors  = Dialect{}
	_ datasync.ColumnRefiner = Dialect{}
	_ datasync.CursorChecker = Dialect{}
)

// Type names of the driver (types.go: makeGoLangTypeName), plus
// typeRowversion, ours.
const (
	typeBit            = "BIT"
	typeTinyInt        = "TINYINT"
	typeSmallInt       = "SMALLINT"
	typeInt            = "INT"
	typeBigInt         = "BIGINT"
	typeReal           = "REAL"
	typeFloat          = "FLOAT"
	typeDecimal        = "DECIMAL"
	typeNumeric        = "NUMERIC"
	typeMoney          = "MONEY"
	typeSmallMoney     = "SMALLMONEY"
	typeDate           = "DATE"
	typeTime           = "TIME"
	typeSmallDateTime  = "SMALLDATETIME"
	typeDateTime       = "DATETIME"
	typeDateTime2      = "DATETIME2"
	typeDateTimeOffset = "DATETIMEOFFSET"
	typeChar           = "CHAR"
	typeVarChar        = "VARCHAR"
	typeText           = "TEXT"
	typeNChar          = "NCHAR"
	typeNVarChar       = "NVARCHAR"
	typeNText          = "NTEXT"
	typeXML            = "XML"
	typeBinary         = "BINARY"
	typeVarBinary      = "VARBINARY"
	typeImage          = "IMAGE"
	typeGUID           = "UNIQUEIDENTIFIER"
	typeRowversion     = "ROWVERSION"
)

// Quote implements datasync.Dialect: [part].[part], with ] doubled inside.
func (Dialect) Quote(id tables.Ident) string { return id.Bracketed() }

// Placeholder implements datasync.Dialect: go-mssqldb binds the n-th
// argument to @pn.
func (Dialect) Placeholder(n int) string { return "@p" + strconv.Itoa(n) }

// SelectPage implements datasync.Dialect. SQL Server has no LIMIT; TOP
// takes a parenthesised parameter. No table hint and no isolation change:
// NOLOCK would read uncommitted rows that may yet roll back, and skip or
// repeat rows that move during the scan.
func (Dialect) SelectPage(columns, from, where, orderBy, limit string) string {
	return "SELECT TOP (" + limit + ") " + columns + " FROM " + from +
		" WHERE " + where + " ORDER BY " + orderBy
}

// UpperBoundQuery implements datasync.Dialect. Time cursors read the
// server's own clock, the one that fills them (cursor_clock: local or
// utc); datetimeoffset holds instants, so its clock is the same either way.
//
// A smalldatetime is stored rounded to the minute, so a row written at
// 12:00:29 holds 12:00:00: its bound is the clock minus 30 seconds, or such
// a row could commit behind a cursor that already passed 12:00:00.
//
// Types that cannot bound a run get a statement that fails with the
// reason (this method has no error result): DATE, since a day-granular
// cursor read during the day skips rows written later that day with a key
// below the last one read, and no settle can help; and everything that is
// not a time, an integer or a rowversion. CheckCursor refuses them before
// any run.
func (d Dialect) UpperBoundQuery(cursor datasync.Column, clock string) (string, bool) {
	utc := clock == tables.ClockUTC
	switch cursor.DatabaseType {
	case typeDateTime:
		return pick(utc, "SELECT GETUTCDATE()", "SELECT GETDATE()"), true
	case typeSmallDateTime:
		return pick(utc, "SELECT DATEADD(second, -30, GETUTCDATE())", "SELECT DATEADD(second, -30, GETDATE())"), true
	case typeDateTime2:
		return pick(utc, "SELECT SYSUTCDATETIME()", "SELECT SYSDATETIME()"), true
	case typeDateTimeOffset:
		return "SELECT SYSDATETIMEOFFSET()", true
	case typeTinyInt, typeSmallInt, typeInt, typeBigInt:
		return "", false
	case typeRowversion, typeBinary:
		// BINARY too: a source whose columns were not refined reports a
		// rowversion as BINARY, and MAX would be unsafe for one.
		return d.rowversionBound(), false
	}
	return "THROW 50000, N'syncd: " + badCursor(cursor.DatabaseType) + "', 1;", false
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// cursorTypes are the types a cursor may have.
var cursorTypes = map[string]bool{
	typeDateTime: true, typeSmallDateTime: true, typeDateTime2: true, typeDateTimeOffset: true,
	typeTinyInt: true, typeSmallInt: true, typeInt: true, typeBigInt: true,
	typeRowversion: true,
}

// badCursor says why a column of type typ cannot be a cursor. It goes into
// a string literal, so the type name keeps only letters, digits and _.
func badCursor(typ string) string {
	typ = strings.Map(func(r rune) rune {
		if r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, typ)
	why := ""
	if typ == typeDate {
		why = "a date cursor read during the day would skip rows written later that day whose key sorts before the last one read; "
	}
	return "a cursor of type " + typ + " cannot bound a run: " + why +
		"use a datetime, datetime2, smalldatetime, datetimeoffset, integer or rowversion column"
}
