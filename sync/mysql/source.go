package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// OpenDB returns a database/sql pool for a go-sql-driver DSN
// (user:pass@tcp(host:3306)/db?...), for reading and writing alike. It
// parses dsn at once but connects to nothing. Whatever the DSN says, it
// sets:
//
//   - parseTime=true and loc=UTC: DATE, DATETIME and TIMESTAMP arrive as
//     time.Time holding the server's wall clock, and a time.Time parameter
//     goes as its wall clock in UTC, so no value shifts by a zone on the
//     way.
//   - time_zone='+00:00' for every session, replacing any time_zone of
//     the DSN: the server then hands a TIMESTAMP (an instant) over as UTC
//     and reads one back as UTC, which is the portable form, with no hour
//     that a daylight-saving change makes ambiguous. NOW() and
//     CURRENT_TIMESTAMP in these sessions are UTC too.
//
// Its transactions send COMMIT and ROLLBACK bound by the context they
// began with (commit.go), so a connection that stops answering cannot
// hold a commit forever.
//
// Errors never hold the DSN's password.
func OpenDB(dsn string) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse mysql dsn: %w", tables.Scrub(err, dsn))
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	for k := range cfg.Params {
		if strings.EqualFold(k, "time_zone") {
			delete(cfg.Params, k)
		}
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	// Strict mode makes the server refuse a value it would otherwise cut
	// or zero with a warning, so a bad value becomes a reject instead of
	// silently wrong data. A DSN that sets sql_mode itself is obeyed.
	if !hasParam(cfg.Params, "sql_mode") {
		cfg.Params["sql_mode"] = "CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'STRICT_ALL_TABLES')"
	}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("parse mysql dsn: %w", tables.Scrub(err, dsn))
	}
	return sql.OpenDB(ctxConnector{conn}), nil
}

// OpenSource connects to dsn through OpenDB and prepares reading the
// source of t (see datasync.NewSQLSource). The source owns its pool: Close
// closes it. Errors never hold the DSN's password.
func OpenSource(ctx context.Context, dsn string, t tables.Table) (*datasync.SQLSource, error) {
	db, err := OpenDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("open source of %s: %w", t.Name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open source of %s: %w", t.Name, tables.Scrub(err, dsn))
	}
	src, err := datasync.NewSQLSource(ctx, db, Dialect{}, t)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open source of %s: %w", t.Name, tables.Scrub(err, dsn))
	}
	return src.OwnDB(), nil
}

// hasParam reports whether a DSN sets the session variable name.
func hasParam(params map[string]string, name string) bool {
	for k := range params {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
