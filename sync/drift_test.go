package datasync

import (
	"testing"
)

func TestDeclared(t *testing.T) {
	for c, want := range map[ColumnInfo]string{
		{Type: "NVARCHAR", Length: 50}:                   "NVARCHAR(50)",
		{Type: "NVARCHAR", Length: -1}:                   "NVARCHAR(max)",
		{Type: "DECIMAL", Precision: 18, Scale: 2}:       "DECIMAL(18,2)",
		{Type: "numeric", Precision: 12, Scale: 0}:       "numeric(12,0)",
		{Type: "INT", Precision: 10}:                     "INT",
		{Type: "DATETIME2", Scale: 7}:                    "DATETIME2",
		{Type: "varchar(20)", Length: 20}:                "varchar(20)",
		{Type: "NVARCHAR(50)"}:                           "NVARCHAR(50)",
		{Type: "decimal(12,2)", Precision: 12, Scale: 2}: "decimal(12,2)",
	} {
		if got := c.Declared(); got != want {
			t.Errorf("%+v: %s, want %s", c, got, want)
		}
	}
}

func TestCompareColumns(t *testing.T) {
	seen := []ColumnInfo{{Name: "ID", Type: "INT"}, {Name: "name", Type: "NVARCHAR(50)"}, {Name: "qty", Type: "INT"}}
	now := []ColumnInfo{{Name: "id", Type: "INT"}, {Name: "NAME", Type: "NVARCHAR", Length: 100}, {Name: "note", Type: "NTEXT"}}
	d := CompareColumns(seen, now)
	want := "column note (NTEXT) is new; column qty (INT) was removed; column NAME changed type from NVARCHAR(50) to NVARCHAR(100)"
	if got := d.String(); got != want {
		t.Errorf("drift:\n got %s\nwant %s", got, want)
	}
	if !CompareColumns(now, now).Empty() {
		t.Error("the same columns drift")
	}
	if d := CompareColumns(nil, now); len(d.Added) != 3 {
		t.Errorf("from nothing: %+v", d)
	}
}
