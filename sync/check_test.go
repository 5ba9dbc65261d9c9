package datasync

import (
	"strings"
	"testing"

	"github.com/syncd/syncd/tables"
)

// An append-only table (the cursor is the key, an identity) whose primary
// key is its only index passes without a warning: (id) is its read order,
// not (id, id). A cursor that leads an index but is not followed by the
// key is still warned about, with the index to create.
func TestCheckSourceCursorIsKey(t *testing.T) {
	info := TableInfo{
		Columns: []ColumnInfo{{Name: "id", Type: "INT"}, {Name: "msg", Type: "NVARCHAR"}, {Name: "updated_at", Type: "DATETIME2"}},
		Indexes: []Index{{Name: "pk", Primary: true, Unique: true, Columns: []string{"id"}}, {Name: "ix_u", Columns: []string{"updated_at"}}},
	}
	create := func(_ string, cols []string) string { return "CREATE INDEX ON (" + strings.Join(cols, ", ") + ")" }
	appendOnly := tables.Table{Name: "log", Source: tables.Source{Table: "log", Key: []string{"id"}, Cursor: "ID"}}
	if p := CheckSource(appendOnly, info, create); len(p) != 0 {
		t.Errorf("append-only table: %v, want no problem", p)
	}
	byTime := tables.Table{Name: "t", Source: tables.Source{Table: "t", Key: []string{"id"}, Cursor: "updated_at"}}
	p := CheckSource(byTime, info, create)
	if len(p) != 1 || p[0].Message == "" || !strings.Contains(p[0].Message, "CREATE INDEX ON (updated_at, id)") {
		t.Errorf("cursor without the key in its index: %v, want one warning with CREATE INDEX ON (updated_at, id)", p)
	}
}
