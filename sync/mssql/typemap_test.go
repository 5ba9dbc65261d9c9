package mssql

import (
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/tables"
)

// erpCatalog is a supplier table of every type of the type map, as
// Describe reads it from INFORMATION_SCHEMA.COLUMNS (columnsQuery).
var erpCatalog = datasync.TableInfo{Columns: []datasync.ColumnInfo{
	{Name: "FSUPPLIERID", Type: "INT"},
	{Name: "FGUID", Type: "UNIQUEIDENTIFIER"},
	{Name: "FNUMBER", Type: "NVARCHAR", Length: 80},
	{Name: "FNAME", Type: "NVARCHAR", Length: 255, Nullable: true},
	{Name: "FREMARK", Type: "NVARCHAR", Length: -1, Nullable: true},
	{Name: "FADDRESS", Type: "NVARCHAR", Length: 2000, Nullable: true},
	{Name: "FCODE", Type: "VARCHAR", Length: 30, Nullable: true},
	{Name: "FMEMO", Type: "VARCHAR", Length: 8000, Nullable: true},
	{Name: "FLEGACY", Type: "TEXT", Length: 2147483647, Nullable: true},
	{Name: "FNOTE", Type: "NTEXT", Length: 1073741823, Nullable: true},
	{Name: "FSTATUS", Type: "CHAR", Length: 1},
	{Name: "FCOUNTRY", Type: "NCHAR", Length: 2, Nullable: true},
	{Name: "FCREDIT", Type: "DECIMAL", Precision: 23, Scale: 10, Nullable: true},
	{Name: "FRATE", Type: "NUMERIC", Precision: 5, Scale: 2, Nullable: true},
	{Name: "FBALANCE", Type: "MONEY", Nullable: true},
	{Name: "FFEE", Type: "SMALLMONEY", Nullable: true},
	{Name: "FFORBID", Type: "BIT"},
	{Name: "FLEVEL", Type: "TINYINT", Nullable: true},
	{Name: "FSEQ", Type: "SMALLINT", Nullable: true},
	{Name: "FORGID", Type: "BIGINT"},
	{Name: "FWEIGHT", Type: "FLOAT", Nullable: true},
	{Name: "FRATIO", Type: "REAL", Nullable: true},
	{Name: "FFOUNDED", Type: "DATE", Nullable: true},
	{Name: "FOPENS", Type: "TIME", Scale: 7, Nullable: true},
	{Name: "FCREATEDATE", Type: "DATETIME", Scale: 3, Nullable: true},
	{Name: "FMODIFYDATE", Type: "DATETIME2", Scale: 7},
	{Name: "FAPPROVEDATE", Type: "SMALLDATETIME", Nullable: true},
	{Name: "FSYNCEDAT", Type: "DATETIMEOFFSET", Scale: 3, Nullable: true},
	{Name: "FLOGO", Type: "VARBINARY", Length: -1, Nullable: true},
	{Name: "FHASH", Type: "BINARY", Length: 32, Nullable: true},
	{Name: "FTHUMB", Type: "VARBINARY", Length: 4000, Nullable: true},
	{Name: "FPHOTO", Type: "IMAGE", Length: 2147483647, Nullable: true},
	{Name: "FDOC", Type: "XML", Length: -1, Nullable: true},
	{Name: "FVERSION", Type: "ROWVERSION"},
}}

func erpTable() tables.Table {
	return tables.Table{
		Name:   "supplier",
		Source: tables.Source{Table: "dbo.T_BD_SUPPLIER", Key: []string{"FSUPPLIERID"}, Cursor: "FMODIFYDATE"},
		Target: tables.Target{Table: "wms.wms_supplier", Create: true},
	}
}

func planSQL(t *testing.T, tbl tables.Table, info datasync.TableInfo) string {
	t.Helper()
	def, err := datasync.PlanTable(tbl, info, Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := tables.ParseIdent(tbl.Target.Table, 2)
	if err != nil {
		t.Fatal(err)
	}
	return mysqltarget.CreateTableSQL(id, def) + "\n"
}

func TestCreateTableGolden(t *testing.T) {
	checkGolden(t, "create_table", planSQL(t, erpTable(), erpCatalog))

	// target.columns renames, a composite key and a rowversion cursor:
	// the key and cursor are NOT NULL and indexed under their new names.
	renamed := erpTable()
	renamed.Source.Key = []string{"FORGID", "FNUMBER"}
	renamed.Source.Cursor = "FVERSION"
	renamed.Target.Columns = map[string]string{
		"org_id": "FORGID", "supplier_no": "FNUMBER", "name": "FNAME", "row_version": "FVERSION", "guid": "FGUID",
	}
	checkGolden(t, "create_table_renamed", planSQL(t, renamed, erpCatalog))
}

// Every type the converter knows has a place in the type map, so a table
// syncd can read it can also create.
func TestTypeMapCoversConverters(t *testing.T) {
	for typ := range converters {
		if _, err := (Dialect{}).MySQLType(datasync.ColumnInfo{Name: "c", Type: typ, Length: 10, Precision: 10}, false); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
}

func TestTypeMapRefuses(t *testing.T) {
	tbl := erpTable()
	info := datasync.TableInfo{Columns: []datasync.ColumnInfo{
		{Name: "FSUPPLIERID", Type: "INT"}, {Name: "FMODIFYDATE", Type: "DATETIME2", Scale: 7}, {Name: "FSHAPE", Type: "GEOGRAPHY"},
	}}
	_, err := datasync.PlanTable(tbl, info, Dialect{})
	if err == nil || !strings.Contains(err.Error(), "supplier: column FSHAPE (GEOGRAPHY): SQL Server type GEOGRAPHY has no MySQL counterpart: convert it in a query") {
		t.Errorf("PlanTable with a geography column: %v", err)
	}
	tbl.Source.Cursor = "FMISSING"
	if _, err := datasync.PlanTable(tbl, info, Dialect{}); err == nil || !strings.Contains(err.Error(), "source column FMISSING does not exist in dbo.T_BD_SUPPLIER") {
		t.Errorf("PlanTable with a missing cursor: %v", err)
	}
}
