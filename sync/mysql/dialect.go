// Package mysql is the MySQL/MariaDB source dialect of syncd: its
// quoting, paging, converters, catalog and checksum text. Writing MySQL
// as the target is sync/mysqltarget's; syncd's own tables are
// sync/state's.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Dialect is MySQL's and MariaDB's SQL for a datasync.SQLSource. It also
// reads the catalog (datasync.Cataloger). It expects a pool from OpenDB:
// times parsed (parseTime), read as UTC (loc), and the session's
// time_zone at +00:00.
type Dialect struct{}

var (
	_ datasync.Dialect      = Dialect{}
	_ datasync.Cataloger    = Dialect{}
	_ datasync.SchemaErrors = Dialect{}
)

// serverWallClock is the wall clock of the server's default time zone,
// which is what NOW() and CURRENT_TIMESTAMP give the sessions that write
// the source. Our own sessions run at +00:00 (see OpenDB), so NOW() there
// would be UTC instead.
const serverWallClock = "CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', @@global.time_zone)"

// Quote implements datasync.Dialect: `db`.`table`.
func (Dialect) Quote(id tables.Ident) string { return id.Backticked() }

// Placeholder implements datasync.Dialect: every marker is "?".
func (Dialect) Placeholder(int) string { return "?" }

// SelectPage implements datasync.Dialect.
func (Dialect) SelectPage(columns, from, where, orderBy, limit string) string {
	return "SELECT " + columns + " FROM " + from + " WHERE " + where + " ORDER BY " + orderBy + " LIMIT " + limit
}

// UpperBoundQuery implements datasync.Dialect.
//
//   - DATETIME: the server's default zone's wall clock (the zone writers'
//     NOW() uses), or UTC_TIMESTAMP(6) for tables.ClockUTC.
//   - TIMESTAMP: UTC_TIMESTAMP(6), whatever the clock: a TIMESTAMP is an
//     instant, read in our +00:00 session.
//   - DATE: yesterday as a DATETIME, which the run moves back by settle
//     and Bind then cuts to a date: a day is read once it has ended at
//     least settle ago, since rows dated today may still be written.
//   - anything else (integers): "", the largest value present.
func (Dialect) UpperBoundQuery(cursor datasync.Column, clock string) (string, bool) {
	wall := serverWallClock
	if clock == tables.ClockUTC {
		wall = "UTC_TIMESTAMP(6)"
	}
	switch cursor.DatabaseType {
	case "DATETIME":
		return "SELECT " + wall, true
	case "TIMESTAMP":
		return "SELECT UTC_TIMESTAMP(6)", true
	case "DATE":
		return "SELECT " + wall + " - INTERVAL 1 DAY", true
	}
	return "", false
}

// Converter implements datasync.Dialect; see convert.go for what the
// driver hands over.
func (Dialect) Converter(col datasync.Column) (func(any) (any, error), error) {
	if conv, ok := converters[col.DatabaseType]; ok {
		return conv, nil
	}
	return convPortable, nil
}

// Bind implements datasync.Dialect. Values go as they are: the driver
// sends strings and times as text (a time.Time as its wall clock in loc,
// UTC, which is the portable form), and the server converts a constant
// compared with a column to the column's type, so a DECIMAL compares
// exactly and a DATETIME as a DATETIME (checked on MariaDB 10.11).
func (Dialect) Bind(col datasync.Column, v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if col.DatabaseType == "DATE" {
			return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	case float64:
		if col.DatabaseType == "FLOAT" {
			// The server widens the stored float32 to double to compare;
			// widen the same float32 or 0.1 never equals 0.1.
			return float64(float32(x)), nil
		}
	}
	return v, nil
}

// Describe implements datasync.Cataloger; see the package's Describe.
func (Dialect) Describe(ctx context.Context, db *sql.DB, table tables.Ident) (datasync.TableInfo, error) {
	return Describe(ctx, db, table)
}

// SchemaChanged implements datasync.SchemaErrors: a column read by name
// that no longer exists (ER_BAD_FIELD_ERROR).
func (Dialect) SchemaChanged(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1054
}
