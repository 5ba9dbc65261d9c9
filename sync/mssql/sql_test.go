package mssql

import (
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the statements generated now")

// supplierColumns are the columns of dbo.T_BD_SUPPLIER as the driver
// reports them.
var supplierColumns = []datasync.Column{
	{Name: "FSUPPLIERID", DatabaseType: "INT"},
	{Name: "FORGID", DatabaseType: "BIGINT"},
	{Name: "FNUMBER", DatabaseType: "NVARCHAR"},
	{Name: "FCODE", DatabaseType: "VARCHAR"},
	{Name: "FMODIFYDATE", DatabaseType: "DATETIME"},
	{Name: "FDOCUMENTSTATUS", DatabaseType: "CHAR"},
}

func supplier(key ...string) tables.Table {
	return tables.Table{
		Name:   "supplier",
		Source: tables.Source{Table: "dbo.T_BD_SUPPLIER", Key: key, Cursor: "FMODIFYDATE"},
		Target: tables.Target{Table: "wms_supplier"},
	}
}

var (
	t0 = time.Date(2026, 3, 1, 8, 30, 0, 3e6, time.UTC)
	hi = time.Date(2026, 3, 1, 9, 0, 0, 997e6, time.UTC)
)

type pageCase struct {
	golden string
	table  tables.Table
	cols   []datasync.Column
	pos    datasync.Position
	hi     any
	limit  int
}

func pageCases() []pageCase {
	filtered := supplier("FSUPPLIERID")
	filtered.Source.Where = "FDOCUMENTSTATUS = 'C'"
	query := supplier("FSUPPLIERID")
	query.Source.Table = ""
	query.Source.Query = "SELECT s.FSUPPLIERID, s.FMODIFYDATE, o.FNUMBER FROM dbo.T_BD_SUPPLIER s JOIN dbo.T_ORG o ON o.FORGID = s.FORGID"
	mapped := supplier("FSUPPLIERID")
	mapped.Target.Columns = map[string]string{"supplier_id": "FSUPPLIERID", "last_time": "FMODIFYDATE"}
	return []pageCase{
		{"initial_load", supplier("FSUPPLIERID"), supplierColumns, datasync.Position{}, hi, 2000},
		{"initial_load_no_bound", mapped, supplierColumns, datasync.Position{}, nil, 500},
		{"inclusive_start", supplier("FSUPPLIERID"), supplierColumns, datasync.Position{Cursor: t0}, hi, 2000},
		{"keyset_composite", supplier("FORGID", "FNUMBER"), supplierColumns,
			datasync.Position{Cursor: t0, Key: []any{int64(100), "S-001"}}, hi, 2000},
		{"where_filter", filtered, supplierColumns, datasync.Position{Cursor: t0, Key: []any{int64(42)}}, hi, 100},
		{"query_source", query, []datasync.Column{
			{Name: "FSUPPLIERID", DatabaseType: "INT"}, {Name: "FMODIFYDATE", DatabaseType: "DATETIME"}, {Name: "FNUMBER", DatabaseType: "NVARCHAR"},
		}, datasync.Position{Cursor: t0, Key: []any{int64(42)}}, hi, 2000},
		reservedNames(),
		guidKey(),
		rowversionCursor(),
		offsetCursor(),
	}
}

// reservedNames: a cursor called order, a key called key and a
// non-ASCII key column, in a three-part table name.
func reservedNames() pageCase {
	t := tables.Table{Name: "reserved", Source: tables.Source{
		Table: "erp.dbo.[供应商]", Key: []string{"key", "供应商名称"}, Cursor: "order"}}
	cols := []datasync.Column{
		{Name: "key", DatabaseType: "VARCHAR"}, {Name: "供应商名称", DatabaseType: "NVARCHAR"},
		{Name: "order", DatabaseType: "DATETIME2"}, {Name: "a]b", DatabaseType: "INT"},
	}
	pos := datasync.Position{Cursor: time.Date(2026, 3, 1, 8, 30, 0, 1234567e2, time.UTC), Key: []any{"K1", "华为"}}
	return pageCase{"reserved_names", t, cols, pos, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), 50}
}

func guidKey() pageCase {
	t := tables.Table{Name: "orders", Source: tables.Source{Table: "sales.Orders", Key: []string{"OrderGuid"}, Cursor: "UpdatedAt"}}
	cols := []datasync.Column{{Name: "OrderGuid", DatabaseType: "UNIQUEIDENTIFIER"}, {Name: "UpdatedAt", DatabaseType: "DATETIME2"}}
	pos := datasync.Position{Cursor: time.Date(2026, 3, 1, 8, 30, 0, 100, time.UTC), Key: []any{guidText}}
	return pageCase{"guid_key", t, cols, pos, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), 2000}
}

func rowversionCursor() pageCase {
	t := tables.Table{Name: "stock", Source: tables.Source{Table: "Stock", Key: []string{"ItemId"}, Cursor: "RowVer"}}
	cols := []datasync.Column{{Name: "ItemId", DatabaseType: "INT"}, {Name: "Qty", DatabaseType: "DECIMAL"}, {Name: "RowVer", DatabaseType: "ROWVERSION"}}
	return pageCase{"rowversion_cursor", t, cols, datasync.Position{Cursor: uint64(0x7D1), Key: []any{int64(9)}}, uint64(0x7FF), 1000}
}

func offsetCursor() pageCase {
	t := tables.Table{Name: "events", Source: tables.Source{Table: "dbo.Events", Key: []string{"Amount"}, Cursor: "At"}}
	cols := []datasync.Column{{Name: "Amount", DatabaseType: "DECIMAL"}, {Name: "At", DatabaseType: "DATETIMEOFFSET"}}
	pos := datasync.Position{Cursor: time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC), Key: []any{"-12.5000"}}
	return pageCase{"datetimeoffset_cursor", t, cols, pos, time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), 10}
}

func TestPageQueryGolden(t *testing.T) {
	for _, tc := range pageCases() {
		t.Run(tc.golden, func(t *testing.T) {
			src, err := datasync.NewSQLSourceWithColumns(nil, Dialect{}, tc.table, tc.cols)
			if err != nil {
				t.Fatal(err)
			}
			q, args, err := src.PageQuery(tc.pos, tc.hi, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			assertNoDirtyReads(t, q)
			checkGolden(t, tc.golden, render(q, args))
		})
	}
}

// render shows a statement and its parameters with their Go types, the
// types that decide what SQL Server compares.
func render(q string, args []any) string {
	var b strings.Builder
	b.WriteString(q + "\n")
	for i, a := range args {
		fmt.Fprintf(&b, "@p%d %T %s\n", i+1, a, showParam(a))
	}
	return b.String()
}

func showParam(a any) string {
	switch v := a.(type) {
	case mssql.DateTime1:
		return time.Time(v).Format(time.RFC3339Nano)
	case mssql.DateTimeOffset:
		return time.Time(v).Format(time.RFC3339Nano)
	case civil.DateTime:
		return v.String()
	case mssql.UniqueIdentifier:
		return v.String()
	case []byte:
		return "0x" + hex.EncodeToString(v)
	}
	return fmt.Sprintf("%v", a)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	synctest.CheckGolden(t, name, got, *update)
}

func assertNoDirtyReads(t *testing.T, q string) {
	t.Helper()
	u := strings.ToUpper(q)
	for _, bad := range []string{"NOLOCK", "READUNCOMMITTED", "READ UNCOMMITTED", "WITH ("} {
		if strings.Contains(u, bad) {
			t.Errorf("statement contains %s: %s", bad, q)
		}
	}
}

// The parameters compare in the column's own type: datetime as datetime,
// datetime2 as datetime2, a GUID as uniqueidentifier.
func TestPageQueryParamTypes(t *testing.T) {
	want := map[string][]string{
		"keyset_composite":      {"mssql.DateTime1", "mssql.DateTime1", "int64", "string"},
		"reserved_names":        {"civil.DateTime", "mssql.VarChar", "string"},
		"guid_key":              {"civil.DateTime", "mssql.UniqueIdentifier"},
		"rowversion_cursor":     {"[]uint8", "int32"},
		"datetimeoffset_cursor": {"mssql.DateTimeOffset", "string"},
	}
	for _, tc := range pageCases() {
		types, ok := want[tc.golden]
		if !ok {
			continue
		}
		src, err := datasync.NewSQLSourceWithColumns(nil, Dialect{}, tc.table, tc.cols)
		if err != nil {
			t.Fatal(err)
		}
		_, args, err := src.PageQuery(tc.pos, tc.hi, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range args {
			seen[fmt.Sprintf("%T", a)] = true
		}
		for _, typ := range types {
			if !seen[typ] {
				t.Errorf("%s: no parameter of type %s among %v", tc.golden, typ, args)
			}
		}
	}
}

func TestUpperBoundQuery(t *testing.T) {
	tests := []struct {
		typ, clock string
		want       string
		clocked    bool
	}{
		{"DATETIME", tables.ClockLocal, "SELECT GETDATE()", true},
		{"DATETIME", tables.ClockUTC, "SELECT GETUTCDATE()", true},
		{"DATETIME", "", "SELECT GETDATE()", true},
		{"SMALLDATETIME", tables.ClockLocal, "SELECT DATEADD(second, -30, GETDATE())", true},
		{"SMALLDATETIME", tables.ClockUTC, "SELECT DATEADD(second, -30, GETUTCDATE())", true},
		{"DATETIME2", tables.ClockLocal, "SELECT SYSDATETIME()", true},
		{"DATETIME2", tables.ClockUTC, "SELECT SYSUTCDATETIME()", true},
		{"DATETIMEOFFSET", tables.ClockLocal, "SELECT SYSDATETIMEOFFSET()", true},
		{"DATETIMEOFFSET", tables.ClockUTC, "SELECT SYSDATETIMEOFFSET()", true},
		{"TINYINT", "", "", false},
		{"SMALLINT", "", "", false},
		{"INT", tables.ClockLocal, "", false},
		{"BIGINT", "", "", false},
		{"ROWVERSION", tables.ClockLocal, "SELECT CAST(CAST(MIN_ACTIVE_ROWVERSION() AS BIGINT) - 1 AS BINARY(8))", false},
		{"BINARY", "", "SELECT CAST(CAST(MIN_ACTIVE_ROWVERSION() AS BIGINT) - 1 AS BINARY(8))", false},
	}
	for _, tc := range tests {
		q, clocked := Dialect{}.UpperBoundQuery(datasync.Column{Name: "c", DatabaseType: tc.typ}, tc.clock)
		if q != tc.want || clocked != tc.clocked {
			t.Errorf("%s %q: %q, %v; want %q, %v", tc.typ, tc.clock, q, clocked, tc.want, tc.clocked)
		}
	}
}

// A cursor that cannot bound a run gets a statement that fails saying why.
func TestUpperBoundQueryRefuses(t *testing.T) {
	for _, typ := range []string{"DATE", "NVARCHAR", "UNIQUEIDENTIFIER", "DECIMAL", "GEO'); DROP TABLE x; --"} {
		q, clocked := Dialect{}.UpperBoundQuery(datasync.Column{Name: "c", DatabaseType: typ}, tables.ClockLocal)
		if !strings.HasPrefix(q, "THROW 50000, N'syncd: a cursor of type ") || clocked {
			t.Errorf("%s: %q, %v", typ, q, clocked)
		}
		if strings.Count(q, "'") != 2 {
			t.Errorf("%s: the type leaks quotes into the statement: %s", typ, q)
		}
	}
	q, _ := Dialect{}.UpperBoundQuery(datasync.Column{DatabaseType: "DATE"}, "")
	if !strings.Contains(q, "later that day") {
		t.Errorf("DATE: %s does not say why", q)
	}
}

func TestCheckCursor(t *testing.T) {
	tbl := supplier("FSUPPLIERID")
	for typ, ok := range map[string]bool{"DATETIME": true, "DATETIME2": true, "SMALLDATETIME": true,
		"DATETIMEOFFSET": true, "INT": true, "BIGINT": true, "ROWVERSION": true,
		"DATE": false, "BINARY": false, "NVARCHAR": false, "UNIQUEIDENTIFIER": false, "FLOAT": false} {
		cols := []datasync.Column{{Name: "FSUPPLIERID", DatabaseType: "INT"}, {Name: "fmodifydate", DatabaseType: typ}}
		_, err := datasync.NewSQLSourceWithColumns(nil, Dialect{}, tbl, cols)
		if (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok = %v", typ, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "source.cursor: FMODIFYDATE") {
			t.Errorf("%s: %v does not name the field", typ, err)
		}
	}
}

func TestDialectBasics(t *testing.T) {
	d := Dialect{}
	if got := d.Quote(tables.Ident{Parts: []string{"erp", "dbo", "a]b"}}); got != "[erp].[dbo].[a]]b]" {
		t.Errorf("Quote = %s", got)
	}
	if got := d.Placeholder(12); got != "@p12" {
		t.Errorf("Placeholder = %s", got)
	}
	want := "SELECT TOP (@p9) [a], [b] FROM [t] WHERE [a] <= @p1 ORDER BY [a], [b]"
	if got := d.SelectPage("[a], [b]", "[t]", "[a] <= @p1", "[a], [b]", "@p9"); got != want {
		t.Errorf("SelectPage = %s", got)
	}
}

func TestCatalogQueries(t *testing.T) {
	d := Dialect{}
	for _, tc := range []struct {
		ident, prefix, schema, table string
	}{
		{"T_BD_SUPPLIER", "", "dbo", "T_BD_SUPPLIER"},
		{"sales.[Order]", "", "sales", "Order"},
		{"[my db].dbo.[供应商]", "[my db].", "dbo", "供应商"},
	} {
		id, err := tables.ParseIdent(tc.ident, 3)
		if err != nil {
			t.Fatal(err)
		}
		prefix, schema, table, err := catalogParts(d, id)
		if err != nil || prefix != tc.prefix || schema != tc.schema || table != tc.table {
			t.Errorf("%s: %q %q %q %v", tc.ident, prefix, schema, table, err)
		}
	}
	var b strings.Builder
	b.WriteString(columnsQuery("[erp].") + "\n" + indexesQuery("[erp].") + "\n" + rowversionColumnsQuery("[erp].") + "\n")
	checkGolden(t, "catalog", b.String())
}

func TestCatalogType(t *testing.T) {
	for in, want := range map[string]string{"timestamp": "ROWVERSION", "datetime2": "DATETIME2", "nvarchar": "NVARCHAR"} {
		if got := catalogType(in); got != want {
			t.Errorf("catalogType(%s) = %s, want %s", in, got, want)
		}
	}
}
