package mysql_test

import (
	"flag"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the statements generated now")

// A MySQL source table, as catalogColumnsSQL reads it, is created as it is
// declared; target.columns renames and reorders.
func TestCreateTableGolden(t *testing.T) {
	info := datasync.TableInfo{Columns: []datasync.ColumnInfo{
		{Name: "id", Type: "int(10) unsigned", Precision: 10},
		{Name: "sku", Type: "varchar(40)", Length: 40},
		{Name: "price", Type: "decimal(12,2)", Precision: 12, Scale: 2, Nullable: true},
		{Name: "state", Type: "enum('new','done')", Length: 4, Nullable: true},
		{Name: "flags", Type: "bit(3)", Precision: 3, Nullable: true},
		{Name: "doc", Type: "longtext", Length: 4294967295, Nullable: true},
		{Name: "modified", Type: "datetime(6)", Scale: 6},
	}}
	tbl := tables.Table{Name: "stock", Source: tables.Source{Table: "shop.stock", Key: []string{"id"}, Cursor: "modified"},
		Target: tables.Target{Table: "wms_stock", Create: true}}
	def, err := datasync.PlanTable(tbl, info, mysql.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	got := mysqltarget.CreateTableSQL(tables.Ident{Parts: []string{"wms_stock"}}, def) + "\n"
	tbl.Target.Columns = map[string]string{"item_id": "id", "changed_at": "modified", "sku": "sku"}
	if def, err = datasync.PlanTable(tbl, info, mysql.Dialect{}); err != nil {
		t.Fatal(err)
	}
	got += mysqltarget.CreateTableSQL(tables.Ident{Parts: []string{"wms", "wms_stock"}}, def) + "\n"
	got += mysqltarget.AddColumnsSQL(tables.Ident{Parts: []string{"wms_stock"}}, def.Columns[1:]) + "\n"
	synctest.CheckGolden(t, "create_table", got, *update)
}
