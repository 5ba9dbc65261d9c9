package mysqltarget_test

import (
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
)

// The fixed-width key columns take their width first, and a column that
// needs less than its share keeps its length.
func TestFitKeySharesTheLimit(t *testing.T) {
	def := datasync.TableDef{Key: []string{"a", "b", "c"}, Columns: []datasync.ColumnDef{
		{Name: "a", Type: "VARCHAR(768)", Source: datasync.ColumnInfo{Type: "text"}},
		{Name: "b", Type: "VARCHAR(20)", Source: datasync.ColumnInfo{Type: "character varying", Length: 20}},
		{Name: "c", Type: "DATETIME(6)"},
	}}
	got, err := mysqltarget.FitKey(def, 3072)
	if err != nil {
		t.Fatal(err)
	}
	// 3,072 - 8 (datetime(6)) - 80 (varchar(20)) = 2,984 bytes: 746 characters.
	if got.Columns[0].Type != "VARCHAR(746)" || got.Columns[1].Type != "VARCHAR(20)" || len(got.Warnings) != 1 {
		t.Errorf("got %s, %s, warnings %q", got.Columns[0].Type, got.Columns[1].Type, got.Warnings)
	}
	if _, err := mysqltarget.FitKey(def, 10); err == nil || !strings.Contains(err.Error(), "create the target table yourself") {
		t.Errorf("a key that cannot fit: %v", err)
	}
}

// A key column is warned about when its source's values can be longer
// than its size, whether or not sizing narrowed it: an unbounded text key
// alone keeps the type map's 768 characters and is still warned about; a
// varchar(20) is not.
func TestFitKeyWarnsWhenValuesCanBeLonger(t *testing.T) {
	for name, tc := range map[string]struct {
		col  datasync.ColumnDef
		warn bool
	}{
		"postgres text":           {datasync.ColumnDef{Name: "a", Type: "VARCHAR(768)", Source: datasync.ColumnInfo{Type: "text"}}, true},
		"postgres varchar":        {datasync.ColumnDef{Name: "a", Type: "VARCHAR(768)", Source: datasync.ColumnInfo{Type: "character varying", Length: -1}}, true},
		"sql server nvarchar(20)": {datasync.ColumnDef{Name: "a", Type: "VARCHAR(20)", Source: datasync.ColumnInfo{Type: "NVARCHAR", Length: 20}}, false},
		"mysql varchar(20)":       {datasync.ColumnDef{Name: "a", Type: "varchar(20)", Source: datasync.ColumnInfo{Type: "varchar(20)"}}, false},
		"mysql text":              {datasync.ColumnDef{Name: "a", Type: "text", Source: datasync.ColumnInfo{Type: "text"}}, true},
		"uuid":                    {datasync.ColumnDef{Name: "a", Type: "CHAR(36)", Source: datasync.ColumnInfo{Type: "uuid"}}, false},
	} {
		def := datasync.TableDef{Key: []string{"a"}, Columns: []datasync.ColumnDef{tc.col, {Name: "b", Type: "INT"}}}
		got, err := mysqltarget.FitKey(def, 3072)
		if err != nil || (len(got.Warnings) == 1) != tc.warn {
			t.Errorf("%s: %s, warnings %q, %v; want a warning: %v", name, got.Columns[0].Type, got.Warnings, err, tc.warn)
		}
	}
}
