package discover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

func entry(name string, rows int64) datasync.TableEntry {
	return datasync.TableEntry{Name: tables.Ident{Parts: []string{"dbo", name}}, Rows: rows}
}

// A table of ten times the median rows and a million or more is warned
// about; one of a million among tables as large is not.
func TestLargeTable(t *testing.T) {
	small := []datasync.TableEntry{entry("a", 1000), entry("b", 2000), entry("c", 3000), entry("big", 5_000_000)}
	m := medianRows(small)
	if m != 3000 {
		t.Fatalf("median %d, want 3000", m)
	}
	info := datasync.TableInfo{Columns: []datasync.ColumnInfo{{Name: "id", Type: "INT"}, {Name: "updated_at", Type: "DATETIME2"}},
		Indexes: []datasync.Index{{Name: "pk", Primary: true, Columns: []string{"id"}}, {Name: "ix", Columns: []string{"updated_at"}}}}
	quote := func(p ...string) string { return strings.Join(p, ".") }
	for _, tc := range []struct {
		rows, median int64
		warn         bool
	}{{5_000_000, m, true}, {1_000_000, 1_000_000, false}, {500_000, 10, false}} {
		c := choose(entry("t", tc.rows), info)
		c.warn(info, quote, tc.median)
		got := len(c.Warnings) == 1 && c.Warnings[0].Kind == WarnLarge
		if got != tc.warn || (!tc.warn && len(c.Warnings) != 0) {
			t.Errorf("rows %d median %d: warnings %v, want large %v", tc.rows, tc.median, c.Warnings, tc.warn)
		}
	}
}

// Names: the prefix, lower case, odd characters made _, and a name
// taken by another schema's table gets the schema in front.
func TestNames(t *testing.T) {
	taken := map[string]bool{}
	opt := Options{Prefix: "erp_", Lower: true, Dir: "d"}
	var got []string
	for _, id := range [][]string{{"dbo", "T_BD_Supplier"}, {"dbo", "Order Lines"}, {"sales", "t_bd_supplier"}, {"x", "t_bd_supplier"}} {
		tb := Table{Choice: Choice{Entry: datasync.TableEntry{Name: tables.Ident{Parts: id}}}}
		tb.name(opt, taken)
		got = append(got, tb.Name)
	}
	want := "erp_t_bd_supplier erp_order_lines sales_erp_t_bd_supplier x_erp_t_bd_supplier"
	if strings.Join(got, " ") != want {
		t.Errorf("names %v, want %s", got, want)
	}
	// A name must start with a letter or _ for check to take the file.
	got = nil
	for _, name := range []string{"1st table", "客户订单 2", "客户订单"} {
		tb := Table{Choice: Choice{Entry: datasync.TableEntry{Name: tables.Ident{Parts: []string{"dbo", name}}}}}
		tb.name(Options{Dir: "d"}, taken)
		if _, err := tables.ParseIdent(tb.TargetTable, 2); err != nil {
			t.Errorf("%s: target table %q: %v", name, tb.TargetTable, err)
		}
		got = append(got, tb.Name)
	}
	if want := "t_1st_table t_2 table"; strings.Join(got, " ") != want {
		t.Errorf("names %v, want %s", got, want)
	}
}

// Include and exclude globs match the bare name or schema.name, any case.
func TestGlobs(t *testing.T) {
	opt := Options{Include: []string{"T_BD_*", "sales.*"}, Exclude: []string{"*_log"}}
	for name, want := range map[string]bool{"dbo.t_bd_supplier": true, "dbo.T_BD_LOG": false, "sales.orders": true, "dbo.orders": false} {
		id, err := tables.ParseIdent(name, 2)
		if err != nil {
			t.Fatal(err)
		}
		if opt.wants(id) != want {
			t.Errorf("%s: wants %v", name, !want)
		}
	}
}

// An existing file is never overwritten without Force; with it, it is.
func TestNoOverwrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "items.yaml")
	if err := os.WriteFile(file, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb := Table{Name: "items", TargetTable: "items", File: file,
		Choice: Choice{Entry: entry("items", 1), Key: []string{"id"}, Cursor: "updated_at"}}
	ts := []Table{tb}
	if err := writeAll(ts, nil, Options{Connection: "erp", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil || string(b) != "# mine\n" || ts[0].Outcome != Skipped {
		t.Fatalf("without --force: outcome %s, file %q, %v", ts[0].Outcome, b, err)
	}
	ts = []Table{tb}
	if err := writeAll(ts, nil, Options{Connection: "erp", Dir: dir, Force: true, Target: "wms"}); err != nil {
		t.Fatal(err)
	}
	got, err := tables.LoadTable(file, nil)
	if err != nil || ts[0].Outcome != Written || got.Source.Table != "dbo.items" || got.Source.Cursor != "updated_at" || !got.Target.Create {
		t.Fatalf("with --force: outcome %s, %+v, %v", ts[0].Outcome, got, err)
	}
}
