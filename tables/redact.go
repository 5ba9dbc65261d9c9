package tables

import (
	"net/url"
	"slices"
	"strings"
)

// redacted stands in for a password wherever a DSN is printed.
const redacted = "***"

// RedactDSN returns dsn with every password replaced by ***, in each form
// our drivers take: URLs (sqlserver://user:pass@host, postgres://...),
// go-sql-driver's user:pass@tcp(host)/db, key=value strings separated by
// ';' (SQL Server) or spaces (PostgreSQL), quoted values, and password=
// query parameters. Any key containing "pass", and pwd, counts as a
// password. When unsure it hides too much rather than too little: a
// password of minEchoed characters or more is hidden wherever else it
// appears in the DSN too (as the user name, say).
func RedactDSN(dsn string) string {
	var b strings.Builder
	last := 0
	for _, s := range mergeSpans(secretSpans(dsn)) {
		b.WriteString(dsn[last:s.start])
		b.WriteString(redacted)
		last = s.end
	}
	b.WriteString(dsn[last:])
	var pairs []string
	for _, s := range secrets([]string{dsn}) {
		if len(s) >= minEchoed {
			pairs = append(pairs, s, redacted)
		}
	}
	return strings.NewReplacer(pairs...).Replace(b.String())
}

// minEchoed is the shortest password RedactDSN hides outside its own
// field: a shorter one would hide letters all over the DSN.
const minEchoed = 4

// Scrub returns err with every password of dsns in its message replaced by
// ***, for errors (from drivers, mostly) that may quote a DSN. The result
// unwraps to err, so errors.Is and errors.As still work; print the result,
// never what they find. A nil err gives nil.
func Scrub(err error, dsns ...string) error {
	if err == nil {
		return nil
	}
	var pairs []string
	for _, s := range secrets(dsns) {
		pairs = append(pairs, s, redacted)
	}
	// One pass, so a secret is never found again inside a *** put in.
	msg := strings.NewReplacer(pairs...).Replace(err.Error())
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// scrubbedError carries the redacted message of err.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// span is the byte range [start, end) of a password in a DSN.
type span struct{ start, end int }

// secretSpans finds the passwords of dsn. The spans may overlap when two
// readings of the DSN disagree; both are kept, to be safe.
func secretSpans(dsn string) []span {
	spans := keyValueSpans(dsn)
	if s, ok := userinfoSpan(dsn); ok && s.end > s.start {
		spans = append(spans, s)
	}
	return spans
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// secrets lists the passwords of dsns as they may appear in a message:
// as written, unquoted and URL-decoded or encoded, longest first so a
// password containing another is replaced whole.
func secrets(dsns []string) []string {
	var out []string
	for _, dsn := range dsns {
		for _, s := range secretSpans(dsn) {
			out = append(out, variants(dsn[s.start:s.end])...)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// unescape undoes the quoting of a quoted DSN value: doubled quotes
// (SQL Server, ODBC braces) and backslash escapes (PostgreSQL).
var unescape = strings.NewReplacer(`''`, `'`, `\'`, `'`, `""`, `"`, `}}`, `}`, `\\`, `\`)

// variants gives the forms of one password a driver might print.
func variants(raw string) []string {
	vs := []string{raw, unescape.Replace(raw), url.QueryEscape(raw), url.PathEscape(raw)}
	if s, err := url.PathUnescape(raw); err == nil {
		vs = append(vs, s)
	}
	if s, err := url.QueryUnescape(raw); err == nil {
		vs = append(vs, s)
	}
	return slices.DeleteFunc(vs, func(s string) bool { return s == "" })
}
