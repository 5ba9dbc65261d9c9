package tables

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseIdentAccepts(t *testing.T) {
	tests := []struct {
		in       string
		max      int
		parts    []string
		brackets string
		ticks    string
		quotes   string
	}{
		{"FSUPPLIERID", 1, []string{"FSUPPLIERID"}, "[FSUPPLIERID]", "`FSUPPLIERID`", `"FSUPPLIERID"`},
		{"供应商名称", 1, []string{"供应商名称"}, "[供应商名称]", "`供应商名称`", `"供应商名称"`},
		{"order", 1, []string{"order"}, "[order]", "`order`", `"order"`},
		{"_x$1#@", 1, []string{"_x$1#@"}, "[_x$1#@]", "`_x$1#@`", `"_x$1#@"`},
		{"dbo.T_BD_SUPPLIER", 3, []string{"dbo", "T_BD_SUPPLIER"}, "[dbo].[T_BD_SUPPLIER]", "`dbo`.`T_BD_SUPPLIER`", `"dbo"."T_BD_SUPPLIER"`},
		{"erp.dbo.t", 3, []string{"erp", "dbo", "t"}, "[erp].[dbo].[t]", "`erp`.`dbo`.`t`", `"erp"."dbo"."t"`},
		{"[Order Details]", 1, []string{"Order Details"}, "[Order Details]", "`Order Details`", `"Order Details"`},
		{"[a]]b]", 1, []string{"a]b"}, "[a]]b]", "`a]b`", `"a]b"`},
		{"`a``b`", 1, []string{"a`b"}, "[a`b]", "`a``b`", `"a` + "`" + `b"`},
		{`"a""b"`, 1, []string{`a"b`}, `[a"b]`, "`a\"b`", `"a""b"`},
		{"[x; DROP TABLE y]", 1, []string{"x; DROP TABLE y"}, "[x; DROP TABLE y]", "`x; DROP TABLE y`", `"x; DROP TABLE y"`},
		{"[a.b].c", 2, []string{"a.b", "c"}, "[a.b].[c]", "`a.b`.`c`", `"a.b"."c"`},
		{"`shop`.`order`", 2, []string{"shop", "order"}, "[shop].[order]", "`shop`.`order`", `"shop"."order"`},
	}
	for _, tt := range tests {
		id, err := ParseIdent(tt.in, tt.max)
		if err != nil {
			t.Errorf("ParseIdent(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(id.Parts, tt.parts) {
			t.Errorf("ParseIdent(%q).Parts = %q, want %q", tt.in, id.Parts, tt.parts)
		}
		for _, got := range [][2]string{{id.Bracketed(), tt.brackets}, {id.Backticked(), tt.ticks}, {id.DoubleQuoted(), tt.quotes}} {
			if got[0] != got[1] {
				t.Errorf("ParseIdent(%q) quoted %s, want %s", tt.in, got[0], got[1])
			}
		}
		if id.Name() != tt.parts[len(tt.parts)-1] || id.String() != strings.Join(tt.parts, ".") {
			t.Errorf("ParseIdent(%q): Name %q String %q", tt.in, id.Name(), id.String())
		}
	}
}

func TestParseIdentRefuses(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"x; DROP TABLE y", 3, `unexpected ';' at character 2`},
		{"a b", 1, `unexpected ' ' at character 2`},
		{"a--", 1, `unexpected '-' at character 2`},
		{"t)", 1, `unexpected ')' at character 2`},
		{" a", 1, `unexpected ' ' at character 1`},
		{"a ", 1, `unexpected ' ' at character 2`},
		{"", 1, "empty name"},
		{"a..b", 3, "empty name at character 3"},
		{"a.", 2, "empty name at character 3"},
		{".a", 2, "empty name at character 1"},
		{"[]", 1, "empty name"},
		{"1abc", 1, `unexpected '1'`},
		{"$a", 1, `unexpected '$'`},
		{"a.b", 1, "too many names (at most 1)"},
		{"a.b.c.d", 3, "too many names (at most 3)"},
		{"[abc", 1, "[ not closed by ]"},
		{"`a``", 1, "` not closed by `"},
		{"[a]b", 1, `unexpected 'b'`},
		{"[a\x00b]", 1, "control character U+0000"},
		{"[a\nb]", 1, "control character U+000A"},
		{"a\xffb", 1, "invalid UTF-8"},
		{"[a\xffb]", 1, "invalid UTF-8"},
	}
	for _, tt := range tests {
		_, err := ParseIdent(tt.in, tt.max)
		if !errors.Is(err, ErrBadIdent) {
			t.Errorf("ParseIdent(%q) = %v, want ErrBadIdent", tt.in, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tt.want) || !strings.Contains(msg, "(allowed: ") {
			t.Errorf("ParseIdent(%q) = %q, want it to say %q and what is allowed", tt.in, msg, tt.want)
		}
	}
}

// FuzzParseIdent checks that whatever ParseIdent accepts comes out of each
// quoting method as a well-formed quoted identifier with the same parts:
// no input can make it emit unquoted SQL.
func FuzzParseIdent(f *testing.F) {
	for _, s := range []string{"dbo.T", "[a]]b].c", "`x``y`", `"p""q"."r"`, "x; DROP TABLE y", "供应商名称", "[a.b]", "a\x00"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		maxParts := 1 + (n%3+3)%3
		id, err := ParseIdent(s, maxParts)
		if err != nil {
			if !errors.Is(err, ErrBadIdent) {
				t.Fatalf("ParseIdent(%q) error %v does not wrap ErrBadIdent", s, err)
			}
			return
		}
		if len(id.Parts) < 1 || len(id.Parts) > maxParts {
			t.Fatalf("ParseIdent(%q, %d) gave %d parts", s, maxParts, len(id.Parts))
		}
		for _, q := range []struct {
			sql           string
			open, closing byte
		}{{id.Bracketed(), '[', ']'}, {id.Backticked(), '`', '`'}, {id.DoubleQuoted(), '"', '"'}} {
			parts, ok := splitQuoted(q.sql, q.open, q.closing)
			if !ok || !slices.Equal(parts, id.Parts) {
				t.Fatalf("ParseIdent(%q) quoted as %q: well-formed %v, parts %q, want %q", s, q.sql, ok, parts, id.Parts)
			}
			again, err := ParseIdent(q.sql, maxParts)
			if err != nil || !slices.Equal(again.Parts, id.Parts) {
				t.Fatalf("%q does not parse back to %q: %q, %v", q.sql, id.Parts, again.Parts, err)
			}
		}
	})
}

// splitQuoted reads s as the SQL parser would: every part opens with
// open, closes at a closing quote that is not doubled, and is followed by
// '.' or the end. It is written apart from ParseIdent to check it.
func splitQuoted(s string, open, closing byte) ([]string, bool) {
	var parts []string
	for i := 0; ; {
		if i >= len(s) || s[i] != open {
			return nil, false
		}
		var part []byte
		for i++; ; i++ {
			if i >= len(s) {
				return nil, false
			}
			if s[i] == closing {
				if i+1 < len(s) && s[i+1] == closing {
					part = append(part, closing)
					i++
					continue
				}
				break
			}
			part = append(part, s[i])
		}
		parts = append(parts, string(part))
		i++
		if i == len(s) {
			return parts, true
		}
		if s[i] != '.' {
			return nil, false
		}
		i++
	}
}
