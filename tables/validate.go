package tables

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// nameRE is what a table name may be: it becomes an Asynq task id, a
// state key and a metrics label, so it stays plain.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// queryRE is how a source query must start: it is used as a derived
// table, so it has to be a SELECT (or a WITH ... SELECT).
var queryRE = regexp.MustCompile(`(?i)^\s*(select|with)\b`)

// Validate reports every problem of the declaration at once, joined with
// errors.Join, each as "file: field: problem (allowed: ...)" wrapping one
// of the Err sentinels. cfg supplies the connections; with a nil cfg they
// are not checked.
func (t Table) Validate(cfg *Config) error {
	p := &problems{file: cmp.Or(t.File, "table "+t.Name)}
	switch {
	case t.Name == "":
		p.addf("name", "%w (allowed: %s)", ErrMissing, nameAllowed)
	case !nameRE.MatchString(t.Name):
		p.addf("name", "%w %q (allowed: %s)", ErrBadValue, t.Name, nameAllowed)
	}
	t.Source.check(p, cfg)
	t.Target.check(p, t.Source.Key, cfg)
	t.checkCreate(p)
	t.checkDeletes(p)
	if t.Rate < 0 {
		p.addf("rate", "%w: %d (allowed: 0 for unlimited, or rows per second from 1)", ErrOutOfRange, t.Rate)
	}
	t.checkSnapshot(p)
	checkRun(p, "", t.run())
	checkKeep(p, "", t.Runs.Keep)
	return p.err()
}

const nameAllowed = "1 to 64 letters, digits, _ . -, starting with a letter or digit"

// check adds the problems of the source half of a declaration.
func (s Source) check(p *problems, cfg *Config) {
	checkConnection(p, "source.connection", s.Connection, cfg)
	switch {
	case s.Table == "" && s.Query == "":
		p.addf("source.table", "%w (allowed: a table like dbo.T_BD_SUPPLIER, or query: a SELECT instead)", ErrMissing)
	case s.Table != "" && s.Query != "":
		p.addf("source.query", "%w: table is set too (allowed: one of table, query)", ErrBadValue)
	case s.Table != "":
		checkIdent(p, "source.table", s.Table, 3)
	case !queryRE.MatchString(s.Query):
		p.addf("source.query", "%w: does not start with SELECT or WITH (allowed: a SELECT, used as a derived table)", ErrBadValue)
	}
	checkKey(p, s.Key)
	if s.Cursor == "" {
		p.addf("source.cursor", "%w (allowed: a NOT NULL column that grows with every change: a modify time, rowversion or increasing id)", ErrMissing)
	} else {
		checkIdent(p, "source.cursor", s.Cursor, 1)
	}
	checkOneOf(p, "source.cursor_clock", s.CursorClock, ClockLocal, ClockUTC)
}

// checkKey checks the key columns: at least one, each a column name, none
// twice. Columns compare ignoring case, as SQL Server and MySQL compare
// column names.
func checkKey(p *problems, key []string) {
	if len(key) == 0 {
		p.addf("source.key", "%w (allowed: a list of the columns that identify a row, like [FSUPPLIERID])", ErrMissing)
		return
	}
	for i, col := range key {
		field := fmt.Sprintf("source.key[%d]", i)
		if checkIdent(p, field, col, 1) && slices.ContainsFunc(key[:i], equalFold(col)) {
			p.addf(field, "%w %q: listed twice (allowed: distinct columns)", ErrBadValue, col)
		}
	}
}

// checkCreate checks target.create and target.evolve: a table can only be
// created from a catalog, which a query source has not.
func (t Table) checkCreate(p *problems) {
	if t.Target.Create && t.Source.IsQuery() {
		p.addf("target.create", "%w: a source query has no catalog to build the table from (allowed: false, or source.table)", ErrBadValue)
	}
	checkOneOf(p, "target.evolve", t.Target.Evolve, EvolveNone, EvolveAddColumns)
}

// check adds the problems of the target half of a declaration.
func (t Target) check(p *problems, key []string, cfg *Config) {
	if t.Connection == "" {
		p.addf("target.connection", "%w (allowed: %s; or set target in syncd.yaml)", ErrMissing, connNames(cfg, DriverMySQL))
	} else if checkConnection(p, "target.connection", t.Connection, cfg) && cfg != nil {
		if d := cfg.Connections[t.Connection].Driver; d != DriverMySQL {
			p.addf("target.connection", "%w %q: a %s connection (allowed: the mysql connections: %s)",
				ErrBadValue, t.Connection, d, connNames(cfg, DriverMySQL))
		}
	}
	if t.Table == "" {
		p.addf("target.table", "%w (allowed: a table like wms_supplier or wms.wms_supplier)", ErrMissing)
	} else {
		checkIdent(p, "target.table", t.Table, 2)
	}
	checkColumns(p, t.Columns, key)
}

// checkColumns checks the target: source column mapping. When there is
// one, it must carry every key column: the target's primary key is made
// from them.
func checkColumns(p *problems, cols map[string]string, key []string) {
	for _, col := range slices.Sorted(maps.Keys(cols)) {
		if checkIdent(p, "target.columns", col, 1) {
			checkIdent(p, "target.columns."+col, cols[col], 1)
		}
	}
	if len(cols) == 0 {
		return
	}
	sources := slices.Collect(maps.Values(cols))
	for _, k := range key {
		if !slices.ContainsFunc(sources, equalFold(k)) {
			p.addf("target.columns", "%w key column %q (allowed: a mapping that takes every source.key column, since the target's primary key comes from them)", ErrMissing, k)
		}
	}
}

// checkConnection checks that name is a connection of cfg and reports
// whether it is. A nil cfg has nothing to check against.
func checkConnection(p *problems, field, name string, cfg *Config) bool {
	if name == "" {
		p.addf(field, "%w (allowed: %s)", ErrMissing, connNames(cfg, ""))
		return false
	}
	if cfg == nil {
		return true
	}
	if _, ok := cfg.Connections[name]; !ok {
		p.addf(field, "%w %q (allowed: %s)", ErrUnknownConnection, name, connNames(cfg, ""))
		return false
	}
	return true
}

// connNames lists the connections of cfg, only those of driver when it is
// not empty, for an "allowed" list.
func connNames(cfg *Config, driver string) string {
	var names []string
	if cfg != nil {
		for name, c := range cfg.Connections {
			if driver == "" || c.Driver == driver {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return "none defined in syncd.yaml"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// checkIdent checks that s parses as an identifier of at most parts parts
// and reports whether it does.
func checkIdent(p *problems, field, s string, parts int) bool {
	if _, err := ParseIdent(s, parts); err != nil {
		p.addf(field, "%w", err)
		return false
	}
	return true
}

// checkOneOf checks that v is one of allowed.
func checkOneOf(p *problems, field, v string, allowed ...string) {
	switch {
	case v == "":
		p.addf(field, "%w (allowed: %s)", ErrMissing, strings.Join(allowed, ", "))
	case !slices.Contains(allowed, v):
		p.addf(field, "%w %q (allowed: %s)", ErrBadValue, v, strings.Join(allowed, ", "))
	}
}

// equalFold returns a predicate matching s ignoring case.
func equalFold(s string) func(string) bool {
	return func(x string) bool { return strings.EqualFold(x, s) }
}

// logLevels are the levels log.level may name (zerolog's).
var logLevels = []string{"trace", "debug", "info", "warn", "error", "fatal", "panic", "disabled"}

// Validate reports every problem of syncd.yaml at once, joined with
// errors.Join, each as "file: field: problem (allowed: ...)": each
// connection has a known driver and a DSN (or dsn_file), target names a
// mysql connection, and the defaults are valid. Zero defaults stand for
// the built-in ones, as they do for LoadTable.
func (c *Config) Validate() error {
	p := &problems{file: cmp.Or(c.File, "syncd.yaml")}
	for _, name := range slices.Sorted(maps.Keys(c.Connections)) {
		checkConn(p, name, c.Connections[name])
	}
	if c.Target != "" && checkConnection(p, "target", c.Target, c) {
		if d := c.Connections[c.Target].Driver; d != DriverMySQL {
			p.addf("target", "%w %q: a %s connection (allowed: the mysql connections: %s)", ErrBadValue, c.Target, d, connNames(c, DriverMySQL))
		}
	}
	checkRun(p, "defaults.", c.Defaults.orBuiltin())
	checkKeep(p, "defaults.", c.Defaults.orBuiltin().Runs.Keep)
	if c.Log.Level != "" {
		checkOneOf(p, "log.level", c.Log.Level, logLevels...)
	}
	if c.Log.Format != "" {
		checkOneOf(p, "log.format", c.Log.Format, "auto", "console", "json")
	}
	c.checkProcess(p)
	return p.err()
}

// checkConn checks one connection of syncd.yaml.
func checkConn(p *problems, name string, c Connection) {
	field := "connections." + name
	checkOneOf(p, field+".driver", c.Driver, Drivers()...)
	if c.DSN == "" && c.DSNFile == "" {
		p.addf(field+".dsn", "%w (allowed: a DSN, dsn_file naming a file that holds one, or $%s%s_DSN)",
			ErrMissing, envPrefix, strings.ToUpper(underscored(field)))
	}
	if c.Driver != DriverSQLServer {
		if c.HasSQLServerOptions() {
			p.addf(field, "%w: encrypt, trust_server_certificate, application_intent and app_name are for sqlserver connections (allowed: set them in the %s DSN)", ErrBadValue, c.Driver)
		}
		return
	}
	if c.Encrypt != "" {
		checkOneOf(p, field+".encrypt", c.Encrypt, EncryptModes...)
	}
	if c.Encrypt == "strict" && c.TrustServerCertificate {
		// The driver ignores the setting under strict (msdsn: parseTLS).
		p.addf(field+".trust_server_certificate", "%w: encrypt: strict always checks the certificate (allowed: false with strict, or encrypt: true)", ErrBadValue)
	}
	if c.ApplicationIntent != "" {
		checkOneOf(p, field+".application_intent", c.ApplicationIntent, ApplicationIntents...)
	}
	if len(c.AppName) > 128 {
		p.addf(field+".app_name", "%w: %d characters (allowed: at most 128, SQL Server's limit)", ErrOutOfRange, len(c.AppName))
	}
}
