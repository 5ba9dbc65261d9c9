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
