package tables

import (
	"regexp"
	"strings"
)

// A SQL Server (ADO or ODBC) string separates pairs with ';' and its values
// may hold spaces; a PostgreSQL one separates them with spaces and its
// values may hold ';'. pgPairs matches the start of the latter (host=h
// port=...), adoSeparator a ';' before a key (server=h;user id=...).
var (
	pgPairs      = regexp.MustCompile(`^\s*\w+\s*=\s*[^\s;]*\s+\w+\s*=`)
	adoSeparator = regexp.MustCompile(`;\s*($|[A-Za-z][A-Za-z0-9 _]*=)`)
)

// keyValueSpans finds the values of password keys in key=value DSNs and
// in URL query parameters.
func keyValueSpans(dsn string) []span {
	var spans []span
	ado := !pgPairs.MatchString(dsn) && adoSeparator.MatchString(dsn)
	for i := 0; i < len(dsn); i++ {
		if dsn[i] != '=' {
			continue
		}
		k := keyStart(dsn, i)
		if !isSecretKey(strings.TrimSpace(dsn[k:i])) {
			continue
		}
		s := valueSpan(dsn, i+1, terminator(dsn, k, ado))
		if s.end > s.start {
			spans = append(spans, s)
		}
		i = max(i, s.end-1)
	}
	return spans
}

// keyStart returns where the key that ends at the '=' at eq begins.
func keyStart(dsn string, eq int) int {
	k := eq
	for k > 0 && dsn[k-1] == ' ' {
		k--
	}
	for k > 0 && (isASCIILetter(dsn[k-1]) || dsn[k-1] == '_') {
		k--
	}
	return k
}

// isSecretKey reports whether a key names a password: password, Pwd,
// passwd, sslpassword and the like.
func isSecretKey(key string) bool {
	key = strings.ToLower(key)
	return strings.Contains(key, "pass") || key == "pwd"
}

// terminator gives the byte that ends an unquoted value whose key starts
// at k: '&' in a URL query, ';' in a SQL Server string, and 0 (meaning
// whitespace) in a PostgreSQL key=value string.
func terminator(dsn string, k int, ado bool) byte {
	switch {
	case k > 0 && (dsn[k-1] == '?' || dsn[k-1] == '&'):
		return '&'
	case ado:
		return ';'
	}
	return 0
}

// valueSpan returns the value starting at from: a quoted one ('..', "..",
// or ODBC {..}) or one that runs to term.
func valueSpan(dsn string, from int, term byte) span {
	i := from
	for i < len(dsn) && dsn[i] == ' ' {
		i++
	}
	if i < len(dsn) && term != '&' {
		switch dsn[i] {
		case '\'', '"':
			return quotedSpan(dsn, i, dsn[i])
		case '{':
			return quotedSpan(dsn, i, '}')
		}
	}
	return span{i, unquotedEnd(dsn, i, term)}
}

// quotedSpan returns the inside of the value quoted at dsn[open], where a
// doubled closing quote or a backslash escapes one. Unclosed, it runs to
// the end: better to hide the rest than to show part of a password.
func quotedSpan(dsn string, open int, closing byte) span {
	for j := open + 1; j < len(dsn); j++ {
		switch {
		case dsn[j] == '\\' && closing != '}':
			j++
		case dsn[j] == closing && j+1 < len(dsn) && dsn[j+1] == closing:
			j++
		case dsn[j] == closing:
			return span{open + 1, j}
		}
	}
	return span{open + 1, len(dsn)}
}

// unquotedEnd returns where an unquoted value starting at i ends.
func unquotedEnd(dsn string, i int, term byte) int {
	if term != 0 {
		if n := strings.IndexByte(dsn[i:], term); n >= 0 {
			return i + n
		}
		return len(dsn)
	}
	for ; i < len(dsn); i++ {
		switch dsn[i] {
		case '\\':
			i++ // PostgreSQL: a backslash escapes the next byte
		case ' ', '\t', '\n', '\r':
			return i
		}
	}
	return len(dsn)
}

// userinfoSpan finds the password of user:pass@ in a URL DSN or in
// go-sql-driver's user:pass@tcp(host)/db. Only the schemes our drivers
// take make a URL: a go-sql-driver password may itself hold "://".
func userinfoSpan(dsn string) (span, bool) {
	if m := urlScheme.FindStringIndex(dsn); m != nil {
		return urlUserinfo(dsn, m[1])
	}
	return mysqlUserinfo(dsn)
}

// urlScheme matches the start of a URL DSN that go-mssqldb or pgx take.
var urlScheme = regexp.MustCompile(`(?i)^(sqlserver|postgres|postgresql)://`)

// urlUserinfo reads user:pass@ after the scheme. The userinfo ends at the
// last '@' of all: a password may hold '@', '?' and '/' unescaped (the
// driver then fails, but the DSN still gets printed), so an '@' in the
// query makes it hide too much, never too little.
func urlUserinfo(dsn string, from int) (span, bool) {
	rest := dsn[from:]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return span{}, false
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return span{}, false
	}
	return span{from + colon + 1, from + at}, true
}

// mysqlUserinfo reads the password as go-sql-driver does: between the
// first ':' and the last '@' before the last '/'.
func mysqlUserinfo(dsn string) (span, bool) {
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return span{}, false
	}
	at := strings.LastIndexByte(dsn[:slash], '@')
	if at < 0 {
		return span{}, false
	}
	colon := strings.IndexByte(dsn[:at], ':')
	// A user part with '=', ';' or a space is a key=value string, not
	// user:pass; its passwords are found by keyValueSpans.
	if colon < 0 || strings.ContainsAny(dsn[:colon], "=; ") {
		return span{}, false
	}
	return span{colon + 1, at}, true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
