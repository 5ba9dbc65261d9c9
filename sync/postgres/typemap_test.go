package postgres

import (
	"flag"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the statements generated now")

// A table of every type of the type map, as columnsQuery reads it.
func TestCreateTableGolden(t *testing.T) {
	info := datasync.TableInfo{Columns: []datasync.ColumnInfo{
		{Name: "id", Type: "bigint"},
		{Name: "code", Type: "character varying", Length: 40},
		{Name: "name", Type: "character varying", Length: -1, Nullable: true},
		{Name: "note", Type: "text", Nullable: true},
		{Name: "grade", Type: "character", Length: 1, Nullable: true},
		{Name: "qty", Type: "integer", Nullable: true},
		{Name: "small", Type: "smallint", Nullable: true},
		{Name: "price", Type: "numeric", Precision: 12, Scale: 4, Nullable: true},
		{Name: "any_number", Type: "numeric", Nullable: true},
		{Name: "ratio", Type: "real", Nullable: true},
		{Name: "weight", Type: "double precision", Nullable: true},
		{Name: "active", Type: "boolean"},
		{Name: "born", Type: "date", Nullable: true},
		{Name: "opens", Type: "time without time zone", Scale: 6, Nullable: true},
		{Name: "updated_at", Type: "timestamp without time zone", Scale: 6},
		{Name: "seen_at", Type: "timestamp with time zone", Scale: 3, Nullable: true},
		{Name: "guid", Type: "uuid", Nullable: true},
		{Name: "doc", Type: "jsonb", Nullable: true},
		{Name: "blob", Type: "bytea", Nullable: true},
		{Name: "tags", Type: "_text", Nullable: true},
		{Name: "span", Type: "interval", Nullable: true},
	}}
	tbl := tables.Table{Name: "items", Source: tables.Source{Table: "public.items", Key: []string{"id"}, Cursor: "updated_at"},
		Target: tables.Target{Table: "items", Create: true}}
	def, err := datasync.PlanTable(tbl, info, Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	synctest.CheckGolden(t, "create_table", mysqltarget.CreateTableSQL(tables.Ident{Parts: []string{"items"}}, def)+"\n", *update)

	// A string key and a text cursor stay indexable.
	tbl.Source.Key, tbl.Source.Cursor = []string{"name"}, "qty"
	def, err = datasync.PlanTable(tbl, info, Dialect{})
	if err != nil || def.Columns[2].Type != "VARCHAR(768)" || def.Columns[2].Nullable {
		t.Errorf("an unbounded varchar key: %+v, %v; want a NOT NULL VARCHAR(768)", def.Columns[2], err)
	}
}
