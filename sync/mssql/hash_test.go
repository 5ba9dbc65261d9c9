package mssql_test

import (
	"crypto/md5"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mssql"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/synctest"
)

// hash32Of is Hash32's value computed in Go: the first 4 bytes of the MD5
// of b, big-endian.
func hash32Of(b []byte) int64 {
	sum := md5.Sum(b)
	return int64(binary.BigEndian.Uint32(sum[:4]))
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// The T-SQL server and the MySQL target hash the same text to the same
// number, in the encoding the T-SQL server holds an NVARCHAR in: UTF-16LE
// on SQL Server (HASHBYTES('MD5', N'abc') is 0xCE1473CF...), UTF-8 on
// Babelfish. Both are checked against MD5 computed here.
func TestServerHashAgreesWithTarget(t *testing.T) {
	db := synctest.Open(t, "sqlserver", synctest.SQLServer(t))
	d, err := mssql.DialectOf(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, myDSN := synctest.MariaDB(t)
	my := synctest.Open(t, "mysql", myDSN)
	for _, text := range []string{"abc", "华为 𝄞😀", "", "|~null~|"} {
		want := hash32Of([]byte(text))
		if d.HashEncoding() == datasync.EncodingUTF16LE {
			want = hash32Of(utf16le(text))
		}
		var got, target int64
		if err := db.QueryRow("SELECT "+d.Hash32(d.Concat([]string{"CAST(@p1 AS NVARCHAR(MAX))"})), text).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if err := my.QueryRow("SELECT "+mysql.Dialect{}.Hash32In("CONVERT(? USING utf8mb4)", d.HashEncoding()), text).Scan(&target); err != nil {
			t.Fatal(err)
		}
		if got != want || target != want {
			t.Errorf("%q: %s hashes %d, the target %d; want %d (MD5 of its %s bytes)", text, d.Server(), got, target, want, d.HashEncoding())
		}
	}
	if d.Babelfish {
		// The target's UTF-16LE side, which only a SQL Server source uses.
		var target int64
		if err := my.QueryRow("SELECT "+mysql.Dialect{}.Hash32In("CONVERT(? USING utf8mb4)", datasync.EncodingUTF16LE), "abc").Scan(&target); err != nil || target != 0xCE1473CF {
			t.Errorf("target's UTF-16LE hash of abc: %d, %v; want %d, as SQL Server's HASHBYTES('MD5', N'abc')", target, err, 0xCE1473CF)
		}
	}
}

// The canonical texts of times and dates are the wall-clock value as
// stored, six fractional digits always, at the ends of the types' ranges
// and at 02:30 on a spring-forward night (Babelfish prints them with
// PostgreSQL's to_char, given a timestamp without time zone so that a
// server zone with that gap cannot move it).
func TestServerTimeText(t *testing.T) {
	db := synctest.Open(t, "sqlserver", synctest.SQLServer(t))
	d, err := mssql.DialectOf(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ typ, value, want string }{
		{"DATETIME2(6)", "2024-03-10 02:30:00.123456", "2024-03-10 02:30:00.123456"},
		{"DATETIME2(6)", "0001-01-01 00:00:00", "0001-01-01 00:00:00.000000"},
		{"DATETIME2(6)", "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999"},
		{"DATETIME", "2024-03-10 02:30:00.997", "2024-03-10 02:30:00.997000"},
		{"SMALLDATETIME", "2024-03-10 02:30:00", "2024-03-10 02:30:00.000000"},
		{"DATE", "2024-03-10", "2024-03-10"},
	} {
		col := datasync.Column{Name: "c", DatabaseType: strings.TrimSuffix(c.typ, "(6)")}
		text := d.CanonicalColumn("CAST(@p1 AS "+c.typ+")", col, d.Family(col))
		var got string
		if err := db.QueryRowContext(t.Context(), "SELECT "+text, c.value).Scan(&got); err != nil {
			t.Fatalf("%s %s: %v", c.typ, c.value, err)
		}
		if got != c.want {
			t.Errorf("%s %s: canonical text %q, want %q", c.typ, c.value, got, c.want)
		}
	}
}
