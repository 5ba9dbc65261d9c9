package mssql

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// guidsOneBit are GUIDs with one byte set, one per group, in SQL Server's
// ascending order: it compares bytes 10-15 (the last group) first, then
// 8-9, 6-7, 4-5 and 0-3, each group as written.
var guidsOneBit = []string{
	"00000001-0000-0000-0000-000000000000", "01000000-0000-0000-0000-000000000000",
	"00000000-0001-0000-0000-000000000000", "00000000-0000-0001-0000-000000000000",
	"00000000-0000-0000-0001-000000000000", "00000000-0000-0000-0100-000000000000",
	"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-010000000000",
}

// Rows with GUID keys, alone and in a composite key, all sharing one
// cursor value, are each read once across pages of 7, in the order the
// server itself sorts them: syncd never orders GUIDs in Go.
func TestServerGUIDKeysTiesAcrossPages(t *testing.T) {
	dsn, db := openServer(t)
	for _, tc := range []struct{ name, key, cols string }{
		{"guid", "g", "g"},
		{"int and guid", "k, g", "k, g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := newTable(t, db, "k INT NOT NULL, g UNIQUEIDENTIFIER NOT NULL, at DATETIME NOT NULL, PRIMARY KEY ("+tc.key+")")
			var values []string
			for i, g := range guidsOneBit {
				values = append(values, fmt.Sprintf("(%d, '%s', '2024-05-01T12:00:00.003')", i%2, g))
			}
			synctest.Exec(t, db, "INSERT INTO dbo."+name+" (k, g, at) VALUES "+strings.Join(values, ", "),
				"INSERT INTO dbo."+name+" (k, g, at) SELECT TOP (33) o % 3, NEWID(), '2024-05-01T12:00:00.003'"+
					" FROM (SELECT ROW_NUMBER() OVER (ORDER BY (SELECT 1)) AS o FROM sys.columns) AS n")
			want := serverOrder(t, db, name, tc.key, true)
			tbl := tables.Table{Name: name, Source: tables.Source{Table: "dbo." + name, Key: strings.Split(tc.key, ", "), Cursor: "at"}}
			src, err := OpenSource(context.Background(), dsn, tbl)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var got []string
			for _, r := range readAll(t, src, tbl, 7) {
				got = append(got, fmt.Sprintf("%v %v", r[0], r[1]))
			}
			if len(want) != 41 || !reflect.DeepEqual(got, want) {
				t.Fatalf("read %d rows %v,\nwant the server's order of 41: %v", len(got), got, want)
			}
		})
	}
	// Each server's own GUID order: SQL Server's bytes 10-15 first, or
	// Babelfish's text order (PostgreSQL's uuid). syncd never orders GUIDs
	// itself; the paging above follows whichever the server has.
	server, want := "SQL Server: uniqueidentifier order, bytes 10-15 first", guidsOneBit
	if synctest.IsBabelfish(t, db) {
		server, want = "Babelfish: uniqueidentifier in text order", slices.Sorted(slices.Values(guidsOneBit))
	}
	t.Run(server, func(t *testing.T) {
		name := newTable(t, db, "g UNIQUEIDENTIFIER NOT NULL PRIMARY KEY")
		synctest.Exec(t, db, "INSERT INTO dbo."+name+" (g) VALUES ('"+strings.Join(guidsOneBit, "'), ('")+"')")
		if got := serverOrder(t, db, name, "g", false); !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v, want %v", got, want)
		}
	})
}

// serverOrder returns the rows of name ordered by the server on key, as
// "k g" text, or "g" for a table without k.
func serverOrder(t *testing.T, db *sql.DB, name, key string, withK bool) []string {
	t.Helper()
	cols := "CONVERT(VARCHAR(36), g)"
	if withK {
		cols = "CONCAT(k, ' ', UPPER(CONVERT(VARCHAR(36), g)))"
	}
	rows, err := db.Query("SELECT " + cols + " FROM dbo." + name + " ORDER BY " + key)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ToUpper(s))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
