package tables

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ident is an SQL identifier of one or more parts (db.schema.table,
// db.table, or a column), held unquoted. Make it with ParseIdent: the
// quoting methods quote every part, so reserved words such as order or key
// are safe and no part can end the quotes early.
type Ident struct {
	Parts []string
}

// ParseIdent parses s as at most maxParts identifiers separated by '.'.
// A part is plain (a letter or _, then letters, digits, _ $ # @) or quoted
// in [..], `..` or "..", with the closing quote doubled for a literal one
// and no control characters. Anything else, including whitespace around s,
// is refused with an error wrapping ErrBadIdent that says what is allowed.
func ParseIdent(s string, maxParts int) (Ident, error) {
	maxParts = max(maxParts, 1)
	var parts []string
	pos := 0
	for {
		part, n, err := parsePart(s[pos:])
		if err != nil {
			return Ident{}, identError(s, maxParts, pos+n, err.Error())
		}
		parts = append(parts, part)
		pos += n
		if pos == len(s) {
			return Ident{Parts: parts}, nil
		}
		if s[pos] != '.' {
			return Ident{}, identError(s, maxParts, pos, unexpected(s[pos:]))
		}
		if len(parts) == maxParts {
			return Ident{}, identError(s, maxParts, pos, fmt.Sprintf("too many names (at most %d)", maxParts))
		}
		pos++
	}
}

// identError says where s went wrong and what a valid identifier looks
// like, since the person reading it is editing YAML, not writing SQL.
func identError(s string, maxParts, at int, reason string) error {
	where := ""
	if s != "" {
		where = fmt.Sprintf(" at character %d", utf8.RuneCountInString(s[:at])+1)
	}
	shape := "one name"
	if maxParts > 1 {
		shape = fmt.Sprintf(`up to %d names joined by "."`, maxParts)
	}
	switch maxParts {
	case 2:
		shape += " (db.table)"
	case 3:
		shape += " (db.schema.table)"
	}
	return fmt.Errorf("%w %q: %s%s (allowed: %s; a name is a letter or _ followed by letters, digits, _ $ # @, or any text quoted as [..], `..` or \"..\")",
		ErrBadIdent, s, reason, where, shape)
}

// parsePart reads one part from the start of s and returns it unquoted
// with the number of bytes it took. On error, n is the offset of the fault.
func parsePart(s string) (part string, n int, err error) {
	if s == "" || s[0] == '.' {
		return "", 0, errors.New("empty name")
	}
	switch s[0] {
	case '[':
		return parseQuoted(s, ']')
	case '`', '"':
		return parseQuoted(s, s[0])
	}
	return parsePlain(s)
}

// parsePlain reads an unquoted part: [\p{L}_][\p{L}\p{N}_$#@]*.
func parsePlain(s string) (string, int, error) {
	i := 0
	for i < len(s) && s[i] != '.' {
		r, size := utf8.DecodeRuneInString(s[i:])
		ok := unicode.IsLetter(r) || r == '_'
		if i > 0 {
			ok = ok || unicode.IsNumber(r) || r == '$' || r == '#' || r == '@'
		}
		if !ok && i == 0 {
			return "", 0, errors.New(unexpected(s))
		}
		if !ok {
			break // the caller reports what follows the name
		}
		i += size
	}
	return s[:i], i, nil
}

// parseQuoted reads a part quoted by s[0] and closed by closing, where a
// doubled closing quote stands for one literal quote.
func parseQuoted(s string, closing byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "", i, errors.New("invalid UTF-8")
		case unicode.IsControl(r):
			return "", i, fmt.Errorf("control character %U", r)
		case s[i] == closing && i+1 < len(s) && s[i+1] == closing:
			b.WriteByte(closing)
			i += 2
			continue
		case s[i] == closing:
			if b.Len() == 0 {
				return "", 0, errors.New("empty name")
			}
			return b.String(), i + 1, nil
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return "", 0, fmt.Errorf("%c not closed by %c", s[0], closing)
}

// unexpected names the first character of s for an error message.
func unexpected(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return "invalid UTF-8"
	}
	return fmt.Sprintf("unexpected %q", r)
}

// Bracketed quotes every part for SQL Server: [db].[schema].[table].
func (id Ident) Bracketed() string { return id.quote("[", "]") }

// Backticked quotes every part for MySQL and MariaDB: `db`.`table`.
func (id Ident) Backticked() string { return id.quote("`", "`") }

// DoubleQuoted quotes every part for PostgreSQL: "schema"."table".
func (id Ident) DoubleQuoted() string { return id.quote(`"`, `"`) }

// Name is the last part, unquoted: the table or column name itself.
func (id Ident) Name() string {
	if len(id.Parts) == 0 {
		return ""
	}
	return id.Parts[len(id.Parts)-1]
}

// String joins the unquoted parts with '.', for messages; it is not SQL.
func (id Ident) String() string { return strings.Join(id.Parts, ".") }

// quote wraps each part in open and closing, doubling any closing quote
// inside so the part cannot end early.
func (id Ident) quote(open, closing string) string {
	var b strings.Builder
	for i, p := range id.Parts {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(open)
		b.WriteString(strings.ReplaceAll(p, closing, closing+closing))
		b.WriteString(closing)
	}
	return b.String()
}
