package mssql

import (
	"fmt"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
)

// The texts verify runs on SQL Server and on Babelfish, per family,
// checked against what SQL Server documents: CONVERT styles 120
// (yyyy-mm-dd hh:mi:ss), 23 (yyyy-mm-dd) and 2 (hex without 0x);
// HASHBYTES over an NVARCHAR's bytes, no UTF-8 collation; CONCAT needing
// two arguments. TestServerVerify runs them on the test server.
func TestChecksumGolden(t *testing.T) {
	for _, d := range []Dialect{{}, {Babelfish: true}} {
		var b strings.Builder
		for _, f := range []struct {
			name string
			f    datasync.Family
		}{
			{"int", datasync.FamilyInt}, {"decimal", datasync.FamilyDecimal}, {"float", datasync.FamilyFloat},
			{"text", datasync.FamilyText}, {"time", datasync.FamilyTime}, {"date", datasync.FamilyDate},
			{"bool", datasync.FamilyBool}, {"bytes", datasync.FamilyBytes}, {"uuid", datasync.FamilyUUID},
		} {
			fmt.Fprintf(&b, "%s: %s\n", f.name, d.Canonical("[c]", f.f))
		}
		fmt.Fprintf(&b, "concat: %s\n", d.Concat([]string{"[a]", "'|'", "[b]"}))
		fmt.Fprintf(&b, "hash32: %s\n", d.Hash32("[t]"))
		fmt.Fprintf(&b, "encoding: %s\n", d.HashEncoding())
		fmt.Fprintf(&b, "datetime: %s\n", d.CanonicalColumn("[c]", datasync.Column{DatabaseType: "DATETIME"}, datasync.FamilyTime))
		name := "verify_checksum"
		if d.Babelfish {
			name += "_babelfish"
		}
		checkGolden(t, name, b.String())
		assertNoDirtyReads(t, b.String())
	}
}

func TestFamilyOfSQLServerTypes(t *testing.T) {
	for typ, want := range map[string]datasync.Family{
		"BIGINT": datasync.FamilyInt, "BIT": datasync.FamilyInt, "MONEY": datasync.FamilyDecimal, "DECIMAL": datasync.FamilyDecimal,
		"REAL": datasync.FamilyFloat, "NVARCHAR": datasync.FamilyText, "NCHAR": datasync.FamilyText, "DATETIME2": datasync.FamilyTime,
		"DATETIME": datasync.FamilyTime, "SMALLDATETIME": datasync.FamilyTime, "DATE": datasync.FamilyDate,
		"VARBINARY": datasync.FamilyBytes, "ROWVERSION": datasync.FamilyInt, "UNIQUEIDENTIFIER": datasync.FamilyUUID,
		"XML": datasync.FamilyOther, "DATETIMEOFFSET": datasync.FamilyOther,
	} {
		if got := (Dialect{}).Family(datasync.Column{Name: "c", DatabaseType: typ}); got != want {
			t.Errorf("FamilyOf(%s) = %d, want %d", typ, got, want)
		}
	}
}
