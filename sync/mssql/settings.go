package mssql

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/syncd/syncd/tables"
)

// Settings are the connection settings syncd.yaml may give a SQL Server
// connection besides its DSN (tables.Connection).
type Settings struct {
	Encrypt                string // strict, true, false or disable; "" leaves the DSN's
	TrustServerCertificate bool
	ApplicationIntent      string // ReadOnly or ReadWrite; "" leaves the DSN's
	AppName                string // "" leaves the DSN's, or syncd (OpenDB)
}

// SettingsOf returns the SQL Server settings of a connection.
func SettingsOf(c tables.Connection) Settings {
	return Settings{Encrypt: c.Encrypt, TrustServerCertificate: c.TrustServerCertificate,
		ApplicationIntent: c.ApplicationIntent, AppName: c.AppName}
}

// pairs returns the settings that are set, as the driver's keys
// (msdsn/conn_str.go) and values.
func (s Settings) pairs() [][2]string {
	var kv [][2]string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, [2]string{k, v})
		}
	}
	add("encrypt", s.Encrypt)
	if s.TrustServerCertificate {
		add("TrustServerCertificate", strconv.FormatBool(true))
	}
	add("ApplicationIntent", s.ApplicationIntent)
	add("app name", s.AppName)
	return kv
}

// WithSettings returns dsn with the settings of s in it, each escaped as
// the DSN's form needs, a value of s winning over the DSN's own: in a
// sqlserver:// URL as query parameters (replacing the same key in any
// case), in an odbc: string as {braced} values, in an ADO string as
// "quoted" values appended (the driver takes the last of a repeated key).
func WithSettings(dsn string, s Settings) string {
	kv := s.pairs()
	if len(kv) == 0 {
		return dsn
	}
	switch {
	case strings.HasPrefix(dsn, "sqlserver://"):
		return withURLSettings(dsn, kv)
	case strings.HasPrefix(strings.ToLower(dsn), "odbc:"):
		for _, p := range kv {
			dsn = strings.TrimSuffix(dsn, ";") + ";" + p[0] + "={" + strings.ReplaceAll(p[1], "}", "}}") + "}"
		}
		return dsn
	}
	for _, p := range kv {
		dsn = strings.TrimSuffix(dsn, ";") + ";" + p[0] + "=\"" + strings.ReplaceAll(p[1], `"`, `""`) + "\""
	}
	return dsn
}

// withURLSettings sets kv in the query of a sqlserver:// URL. A URL that
// does not parse is returned as it is: OpenDB reports it.
func withURLSettings(dsn string, kv [][2]string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	for _, p := range kv {
		for k := range q {
			if strings.EqualFold(k, p[0]) {
				q.Del(k)
			}
		}
		q.Set(p[0], p[1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
