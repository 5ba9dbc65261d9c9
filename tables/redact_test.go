package tables

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		// URLs
		{"sqlserver://sa:Secret1@localhost:1433?database=erp", "sqlserver://sa:***@localhost:1433?database=erp"},
		{"postgres://user:pass@host/db", "postgres://user:***@host/db"},
		{"postgres://user:p%40ss@host:5432/db?sslmode=disable", "postgres://user:***@host:5432/db?sslmode=disable"},
		{"postgres://user:a/b@c@host/db", "postgres://user:***@host/db"},
		{"sqlserver://sa:pa?ss@host?database=x", "sqlserver://sa:***@host?database=x"},
		{"sqlserver://sa:p@ss@host?app=a@b", "sqlserver://sa:***@b"}, // too much, never too little
		{"postgres://host/db?user=u&password=secret&sslmode=disable", "postgres://host/db?user=u&password=***&sslmode=disable"},
		{"postgres://u:one@host/db?password=two", "postgres://u:***@host/db?password=***"},
		{"sqlserver://sa@host?database=x", "sqlserver://sa@host?database=x"},
		// go-sql-driver
		{"user:pass@tcp(host:3306)/db?x=y", "user:***@tcp(host:3306)/db?x=y"},
		{"user:p@s:s/w@tcp(host:3306)/db", "user:***@tcp(host:3306)/db"},
		{"user@tcp(host:3306)/db", "user@tcp(host:3306)/db"},
		{"user:@tcp(host)/db", "user:@tcp(host)/db"},
		// SQL Server key=value
		{"server=h;user id=sa;password=x;database=erp", "server=h;user id=sa;password=***;database=erp"},
		{"Server=h;User ID=sa;Password=a b&c;Database=erp", "Server=h;User ID=sa;Password=***;Database=erp"},
		{"server=h;PWD=x", "server=h;PWD=***"},
		{"server=h;Password=\"a;b\"\"c\";database=erp", "server=h;Password=\"***\";database=erp"},
		{"odbc:server=h;pwd={a;b}}c};database=erp", "odbc:server=h;pwd={***};database=erp"},
		// PostgreSQL key=value
		{"host=h user=u password=secret dbname=d", "host=h user=u password=*** dbname=d"},
		{"host=h password = 'my secret' dbname=d", "host=h password = '***' dbname=d"},
		{`host=h password='it\'s' dbname=d`, `host=h password='***' dbname=d`},
		{"host=h password=a;b dbname=d", "host=h password=*** dbname=d"},
		{"host=h sslpassword=k password=p", "host=h sslpassword=*** password=***"},
		{"host=h password='unclosed dbname=d", "host=h password='***"},
		// the password elsewhere in the DSN too, where a server may echo it
		{"pw9x:pw9x@tcp(h:3306)/pw9x", "***:***@tcp(h:3306)/***"},
		{"postgres://pw9x:pw9x@h/d?connect_timeout=pw9x", "postgres://***:***@h/d?connect_timeout=***"},
		{"server=h;user id=pw9x;password=pw9x", "server=h;user id=***;password=***"},
		// nothing to hide
		{"", ""},
		{"host=h user=u dbname=d", "host=h user=u dbname=d"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.in); got != tt.want {
			t.Errorf("RedactDSN(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	dsns := []string{
		"sqlserver://sa:S3cret%21x@localhost:1433?database=erp",
		"server=h;password=\"q;u\"\"o\";database=d",
		"syncd:wms-pw@tcp(localhost:3306)/wms",
	}
	base := fmt.Errorf("dial: %w", fs.ErrNotExist)
	tests := []struct{ msg, want string }{
		{"login failed for sa:S3cret%21x", "login failed for sa:***"},
		{"login failed for sa:S3cret!x", "login failed for sa:***"},
		{`password "q;u"o" refused`, `password "***" refused`},
		{"Access denied for syncd:wms-pw", "Access denied for syncd:***"},
		{"no secret here", "no secret here"},
	}
	for _, tt := range tests {
		err := Scrub(fmt.Errorf("%s: %w", tt.msg, base), dsns...)
		if got := strings.TrimSuffix(err.Error(), ": "+base.Error()); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.msg, got, tt.want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Scrub(%q) lost the wrapped error", tt.msg)
		}
	}
	if Scrub(nil, dsns...) != nil {
		t.Error("Scrub(nil) is not nil")
	}
}

// FuzzRedactDSN puts any password (of the characters each form takes
// unquoted) into every DSN form and checks that exactly it is hidden.
func FuzzRedactDSN(f *testing.F) {
	for _, s := range []string{"Secret1", "p@ss/w:rd", "a?b@c", "x;y", "пароль"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if pw == "" || strings.ContainsAny(pw, "=;&'\"{}\\ \t\r\n\x00") || !utf8.ValidString(pw) {
			return
		}
		forms := []string{
			"sqlserver://sa:%s@localhost:1433?database=erp",
			"postgres://u:%s@localhost:5432/db?sslmode=disable",
			"u:%s@tcp(localhost:3306)/db?parseTime=true",
			"server=localhost;user id=sa;password=%s;database=erp",
			"host=localhost user=u password=%s dbname=d",
			"postgres://localhost/db?user=u&password=%s&sslmode=disable",
		}
		for _, form := range forms {
			dsn, want := strings.Replace(form, "%s", pw, 1), strings.Replace(form, "%s", redacted, 1)
			got := RedactDSN(dsn)
			if got != want && !echoedElsewhere(form, pw) || len(pw) >= minEchoed && strings.Contains(got, pw) {
				t.Errorf("RedactDSN(%q)\n got %q\nwant %q", dsn, got, want)
			}
			if err := Scrub(errors.New(pw), dsn); err.Error() != redacted {
				t.Errorf("Scrub with %q gave %q", dsn, err)
			}
		}
	})
}

// echoedElsewhere reports whether a form of pw that RedactDSN hides
// everywhere appears in form outside the password's place.
func echoedElsewhere(form, pw string) bool {
	rest := strings.Replace(form, "%s", "", 1)
	for _, v := range variants(pw) {
		if len(v) >= minEchoed && strings.Contains(rest, v) {
			return true
		}
	}
	return false
}
