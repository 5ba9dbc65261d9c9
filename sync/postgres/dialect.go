// Package postgres is the PostgreSQL source dialect of syncd, over pgx v5
// through database/sql (driver name "pgx").
package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Dialect is PostgreSQL's SQL for a datasync.SQLSource. It also reads the
// catalog (datasync.Cataloger).
type Dialect struct{}

var (
	_ datasync.Dialect      = Dialect{}
	_ datasync.Cataloger    = Dialect{}
	_ datasync.SchemaErrors = Dialect{}
)

// Quote implements datasync.Dialect: "schema"."table".
func (Dialect) Quote(id tables.Ident) string { return id.DoubleQuoted() }

// Placeholder implements datasync.Dialect: $1, $2, ...
func (Dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// SelectPage implements datasync.Dialect.
func (Dialect) SelectPage(columns, from, where, orderBy, limit string) string {
	return "SELECT " + columns + " FROM " + from + " WHERE " + where + " ORDER BY " + orderBy + " LIMIT " + limit
}

// UpperBoundQuery implements datasync.Dialect. Clocks are read with
// clock_timestamp(), the time of the statement itself rather than of its
// transaction's start.
//
//   - timestamp: the session's wall clock (TimeZone, the zone the server's
//     writers default to), or UTC's wall clock for tables.ClockUTC.
//   - timestamptz: the instant, whatever the clock; it has no zone to get
//     wrong.
//   - date: yesterday as a timestamp, which the run moves back by settle
//     and Bind then cuts to a date: a day is read once it has ended at
//     least settle ago, since rows dated today may still be written.
//   - anything else (integers): "", the largest value present.
func (Dialect) UpperBoundQuery(cursor datasync.Column, clock string) (string, bool) {
	wall := "CAST(clock_timestamp() AS timestamp)"
	if clock == tables.ClockUTC {
		wall = "(clock_timestamp() AT TIME ZONE 'UTC')"
	}
	switch cursor.DatabaseType {
	case "TIMESTAMP":
		return "SELECT " + wall, true
	case "TIMESTAMPTZ":
		return "SELECT clock_timestamp()", true
	case "DATE":
		return "SELECT " + wall + " - INTERVAL '1 day'", true
	}
	return "", false
}

// Converter implements datasync.Dialect for what pgx's stdlib hands
// database/sql (verified against PostgreSQL 15): int2/4/8 arrive as int64,
// numeric as its exact text (also NaN and Infinity), uuid as canonical
// lower-case text, float4 as a float64 widened from float32, bool as bool,
// json, jsonb and xml as []byte, timestamp and date as time.Time in UTC
// holding the stored wall clock, timestamptz as time.Time in time.Local,
// and every other type (text, char, time, interval, arrays...) as its
// text. An infinite timestamp or date arrives as the text "infinity" and
// stays so: no time.Time holds it, and the target refuses the row rather
// than storing a wrong date.
func (Dialect) Converter(col datasync.Column) (func(any) (any, error), error) {
	switch col.DatabaseType {
	case "BOOL":
		return boolToInt, nil
	case "FLOAT4":
		return float4ToFloat, nil
	case "NUMERIC":
		return numericText, nil
	case "TIMESTAMP", "DATE":
		return wallClock, nil
	case "TIMESTAMPTZ":
		return instant, nil
	case "JSON", "JSONB", "XML":
		return bytesToText, nil
	}
	return portable, nil
}

// Bind implements datasync.Dialect. PostgreSQL types each parameter after
// the column it is compared with, so most values go as they are; pgx
// encodes a string into numeric and uuid parameters exactly, and drops the
// zone of a time.Time bound to a timestamp parameter (keeping its wall
// clock, which is what portable timestamps hold).
func (Dialect) Bind(col datasync.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch col.DatabaseType {
	case "BOOL":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("bind %T to bool column %s", v, col.Name)
		}
		return n != 0, nil // pgx has no plan from an integer to bool
	case "DATE":
		if t, ok := v.(time.Time); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	case "FLOAT4":
		if f, ok := v.(float64); ok {
			return float64(float32(f)), nil
		}
	}
	return v, nil
}

// SchemaChanged implements datasync.SchemaErrors: a column that no longer
// exists (undefined_column), or a statement described before its table
// was altered and executed after ("cached plan must not change result
// type", which even describe_exec meets when the ALTER falls between its
// two round trips).
func (Dialect) SchemaChanged(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	const undefinedColumn, featureNotSupported = "42703", "0A000"
	return pe.Code == undefinedColumn ||
		(pe.Code == featureNotSupported && strings.Contains(pe.Message, "cached plan must not change result type"))
}
