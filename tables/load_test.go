package tables

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// loadTestConfig loads testdata/syncd.yaml, which every table test
// validates against.
func loadTestConfig(t testing.TB) *Config {
	t.Helper()
	cfg, err := LoadConfig("testdata/syncd.yaml")
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return cfg
}

func TestLoadConfig(t *testing.T) {
	cfg := loadTestConfig(t)
	drivers := map[string]string{"erp": DriverSQLServer, "wms": DriverMySQL, "pg": DriverPostgres}
	for name, want := range drivers {
		if got := cfg.Connections[name].Driver; got != want {
			t.Errorf("connections.%s.driver = %q, want %q (alias normalized)", name, got, want)
		}
	}
	pg := cfg.Connections["pg"]
	if pg.DSN != "postgres://syncd:pg-secret@localhost:5432/shop" || pg.DSNFile != filepath.Join("testdata", "secrets", "pg.dsn") {
		t.Errorf("pg = %q from %q, want the trimmed content of testdata/secrets/pg.dsn", RedactDSN(pg.DSN), pg.DSNFile)
	}
	// A YAML boolean for encrypt is read as its word, not weak typing's "1".
	if erp := cfg.Connections["erp"]; erp.Encrypt != "true" || erp.ApplicationIntent != "ReadOnly" || erp.AppName != "" {
		t.Errorf("erp SQL Server options = %q, %q, %q", erp.Encrypt, erp.ApplicationIntent, erp.AppName)
	}
	want := Defaults{Schedule: DefaultSchedule, BatchSize: 1000, Settle: 10 * time.Second, OnBadRows: OnBadRowsReject, Timeout: DefaultTimeout, Queue: DefaultQueue, PageTimeout: DefaultPageTimeout}
	if cfg.Defaults != want {
		t.Errorf("Defaults = %+v, want %+v", cfg.Defaults, want)
	}
	if cfg.TablesDir != filepath.Join("testdata", "tables") || cfg.Log != (Log{Level: "debug", Format: "auto"}) || cfg.Target != "wms" {
		t.Errorf("TablesDir %q, Log %+v, Target %q", cfg.TablesDir, cfg.Log, cfg.Target)
	}
}

func TestLoadConfigEnv(t *testing.T) {
	t.Setenv("SYNCD_CONNECTIONS_ERP_DSN", "sqlserver://sa:from-env@db:1433")
	t.Setenv("SYNCD_DEFAULTS_BATCH_SIZE", "500") // a key syncd.yaml sets, with an '_' of its own
	t.Setenv("SYNCD_DEFAULTS_TIMEOUT", "1m")     // a key syncd.yaml leaves out
	t.Setenv("SYNCD_CONNECTIONS_STAGE_DRIVER", "mariadb")
	t.Setenv("SYNCD_CONNECTIONS_STAGE_DSN_FILE", "secrets/pg.dsn")
	t.Setenv("SYNCD_TABLES_DIR", "/srv/syncd/tables")
	t.Setenv("SYNCD_TEST_MSSQL_DSN", "not ours: ignored")
	t.Setenv("SYNCD_CONNECTIONS_ERP_APPLICATION_INTENT", "ReadWrite")  // a SQL Server setting syncd.yaml sets
	t.Setenv("SYNCD_CONNECTIONS_ERP_TRUST_SERVER_CERTIFICATE", "true") // one it leaves out
	cfg := loadTestConfig(t)
	if erp := cfg.Connections["erp"]; erp.ApplicationIntent != "ReadWrite" || !erp.TrustServerCertificate {
		t.Errorf("erp application_intent %q, trust_server_certificate %v from the environment", erp.ApplicationIntent, erp.TrustServerCertificate)
	}
	if got := cfg.Connections["erp"].DSN; got != "sqlserver://sa:from-env@db:1433" {
		t.Errorf("erp DSN = %q", RedactDSN(got))
	}
	if cfg.Defaults.BatchSize != 500 || cfg.Defaults.Timeout != time.Minute || cfg.Defaults.Settle != 10*time.Second {
		t.Errorf("Defaults = %+v, want batch_size 500, timeout 1m, settle 10s from YAML", cfg.Defaults)
	}
	if stage := cfg.Connections["stage"]; stage.Driver != DriverMySQL || !strings.HasPrefix(stage.DSN, "postgres://") {
		t.Errorf("stage = %+v, want a mysql connection read from dsn_file", stage)
	}
	if cfg.TablesDir != "/srv/syncd/tables" {
		t.Errorf("TablesDir = %q", cfg.TablesDir)
	}
}

func TestLoadConfigEnvTypo(t *testing.T) {
	t.Setenv("SYNCD_LOG_LEVL", "debug")
	_, err := LoadConfig("testdata/syncd.yaml")
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "SYNCD_LOG_LEVL: unknown key (did you mean SYNCD_LOG_LEVEL?)") {
		t.Errorf("LoadConfig with SYNCD_LOG_LEVL = %v", err)
	}
}

func TestLoadConfigProblems(t *testing.T) {
	tests := map[string]struct {
		err error
		msg string
	}{
		"unknown_driver.yaml":        {ErrBadValue, `connections.erp.driver: invalid value "oracle" (allowed: sqlserver, mysql, postgres)`},
		"no_dsn.yaml":                {ErrMissing, "connections.erp.dsn: missing (allowed: a DSN, dsn_file naming a file that holds one, or $SYNCD_CONNECTIONS_ERP_DSN)"},
		"target_unknown.yaml":        {ErrUnknownConnection, `target: unknown connection "wms2" (allowed: erp, wms)`},
		"target_not_mysql.yaml":      {ErrBadValue, `target: invalid value "erp": a sqlserver connection (allowed: the mysql connections: wms)`},
		"unknown_key.yaml":           {ErrUnknownKey, "connections.erp.dns: unknown key (did you mean dsn?)"},
		"defaults_out_of_range.yaml": {ErrOutOfRange, "defaults.batch_size: out of range: 200000 (allowed: 1 to 100000)"},
		"defaults_wrong_type.yaml":   {ErrBadValue, `defaults.settle: invalid value "forever" (allowed: a duration like 30s, 5m or 1h30m)`},
		"bad_log_format.yaml":        {ErrBadValue, `log.format: invalid value "xml" (allowed: auto, console, json)`},
		"dsn_and_dsn_file.yaml":      {ErrBadValue, "connections.pg.dsn_file: invalid value: dsn is set too (allowed: one of dsn, dsn_file)"},
		"dsn_file_missing.yaml":      {fs.ErrNotExist, "connections.pg.dsn_file: open testdata/secrets/missing.dsn"},
		"dsn_file_empty.yaml":        {ErrMissing, "connections.pg.dsn_file: missing: testdata/secrets/empty.dsn is empty"},
		"malformed.yaml":             {ErrSyntax, "malformed YAML: line "},
		"bad_encrypt.yaml":           {ErrBadValue, `connections.erp.encrypt: invalid value "maybe" (allowed: strict, true, false, disable)`},
		"bad_intent.yaml":            {ErrBadValue, `connections.erp.application_intent: invalid value "readonly-please" (allowed: ReadOnly, ReadWrite)`},
		"strict_trust.yaml":          {ErrBadValue, "connections.erp.trust_server_certificate: invalid value: encrypt: strict always checks the certificate"},
		"options_not_sqlserver.yaml": {ErrBadValue, "connections.wms: invalid value: encrypt, trust_server_certificate, application_intent and app_name are for sqlserver connections (allowed: set them in the mysql DSN)"},
	}
	checkEveryFile(t, "testdata/badconfig", tests, func(path string) error {
		_, err := LoadConfig(path)
		return err
	})
}

func TestLoadTables(t *testing.T) {
	cfg := loadTestConfig(t)
	tables, err := LoadTables(cfg.TablesDir, cfg)
	if err != nil {
		t.Fatalf("LoadTables: %v", err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	if !slices.Equal(names, []string{"order-lines.v2", "stock", "supplier"}) {
		t.Fatalf("names = %q, want the three in file order, stock named after its file", names)
	}
	lines, stock, supplier := tables[0], tables[1], tables[2]
	if supplier.Rate != 5000 || stock.Rate != 0 {
		t.Errorf("rate: supplier %d, stock %d; want 5000 as declared and 0 (unlimited) when left out", supplier.Rate, stock.Rate)
	}
	if lines.Settle != 0 || lines.BatchSize != 1000 || lines.Target.Connection != "wms" || lines.Source.CursorClock != ClockUTC ||
		lines.Reconcile != "0 3 * * *" || lines.Deletes != DeletesDelete {
		t.Errorf("order-lines = %+v, want settle 0s kept, batch_size and target from syncd.yaml, reconcile kept, deletes: delete", lines)
	}
	if stock.run() != cfg.Defaults || stock.Reconcile != "" || stock.Source.CursorClock != ClockLocal || stock.File != filepath.Join(cfg.TablesDir, "stock.yml") {
		t.Errorf("stock = %+v, want every setting from defaults", stock)
	}
	if sup := tables[2]; sup.Lookback != 15*time.Second || stock.Lookback != 30*time.Second || lines.Lookback != 0 ||
		sup.Source.DeletedWhen != "FDELETED = 1" {
		t.Errorf("lookback = %v, %v, %v; deleted_when %q: want 3 times settle when left out (5s, 10s), 0s kept; the condition as written",
			sup.Lookback, stock.Lookback, lines.Lookback, sup.Source.DeletedWhen)
	}
	if !slices.Equal(stock.Source.Key, []string{"FID"}) {
		t.Errorf("stock key = %q, want a single key read as a list", stock.Source.Key)
	}
}

func TestLoadTableProblems(t *testing.T) {
	const ident = "(allowed: one name; a name is a letter or _"
	tests := map[string]struct {
		err error
		msg string
	}{
		"unknown_connection.yaml":     {ErrUnknownConnection, `source.connection: unknown connection "erp2" (allowed: erp, pg, wms)`},
		"target_not_mysql.yaml":       {ErrBadValue, `target.connection: invalid value "erp": a sqlserver connection (allowed: the mysql connections: wms)`},
		"unknown_key.yaml":            {ErrUnknownKey, "source.cursr: unknown key (did you mean cursor?)"},
		"unknown_top_key.yaml":        {ErrUnknownKey, "shedule: unknown key (did you mean schedule?)"},
		"wrong_type.yaml":             {ErrBadValue, `batch_size: invalid value "lots" (allowed: a whole number)`},
		"bare_number_duration.yaml":   {ErrBadValue, "settle: invalid value 5 (allowed: a duration like 30s, 5m or 1h30m)"},
		"bad_duration.yaml":           {ErrBadValue, `timeout: invalid value "soon" (allowed: a duration`},
		"wrong_shape.yaml":            {ErrBadValue, `source: invalid value "dbo.T" (allowed: a mapping with keys connection, cursor, cursor_clock, deleted_when, key, query, table, where)`},
		"malformed.yaml":              {ErrSyntax, "malformed YAML: line 3: "},
		"two_documents.yaml":          {ErrSyntax, "malformed YAML: line 3: a second YAML document (allowed: one per file)"},
		"top_level_list.yaml":         {ErrSyntax, "malformed YAML: line 1: the file must be a mapping of key: value"},
		"fractional_batch_size.yaml":  {ErrBadValue, "batch_size: invalid value 1.5 (allowed: a whole number)"},
		"injection.yaml":              {ErrBadIdent, `source.table: invalid identifier "x; DROP TABLE y": unexpected ';' at character 2 (allowed: up to 3 names joined by "." (db.schema.table)`},
		"table_and_query.yaml":        {ErrBadValue, "source.query: invalid value: table is set too (allowed: one of table, query)"},
		"no_table.yaml":               {ErrMissing, "source.table: missing (allowed: a table like dbo.T_BD_SUPPLIER, or query: a SELECT instead)"},
		"bad_query.yaml":              {ErrBadValue, "source.query: invalid value: does not start with SELECT or WITH"},
		"no_key.yaml":                 {ErrMissing, "source.key: missing (allowed: a list of the columns"},
		"duplicate_key.yaml":          {ErrBadValue, `source.key[1]: invalid value "id": listed twice (allowed: distinct columns)`},
		"bad_key.yaml":                {ErrBadIdent, `source.key[0]: invalid identifier "a b": unexpected ' ' at character 2 ` + ident},
		"no_cursor.yaml":              {ErrMissing, "source.cursor: missing (allowed: a NOT NULL column"},
		"bad_cursor.yaml":             {ErrBadIdent, `source.cursor: invalid identifier "t)": unexpected ')' at character 2 ` + ident},
		"bad_cursor_clock.yaml":       {ErrBadValue, `source.cursor_clock: invalid value "gmt" (allowed: local, utc)`},
		"no_target_table.yaml":        {ErrMissing, "target.table: missing (allowed: a table like wms_supplier"},
		"bad_target_table.yaml":       {ErrBadIdent, `target.table: invalid identifier "wms.dbo.t": too many names (at most 2)`},
		"columns_without_key.yaml":    {ErrMissing, `target.columns: missing key column "ID"`},
		"bad_column.yaml":             {ErrBadIdent, `target.columns.note: invalid identifier "a--"`},
		"batch_size_zero.yaml":        {ErrOutOfRange, "batch_size: out of range: 0 (allowed: 1 to 100000)"},
		"batch_size_huge.yaml":        {ErrOutOfRange, "batch_size: out of range: 100001 (allowed: 1 to 100000)"},
		"negative_settle.yaml":        {ErrOutOfRange, "settle: out of range: -1s (allowed: 0s or more)"},
		"negative_overlap.yaml":       {ErrOutOfRange, "overlap: out of range: -5m0s (allowed: 0s or more)"},
		"zero_timeout.yaml":           {ErrOutOfRange, "timeout: out of range: 0s (allowed: more than 0s)"},
		"bad_on_bad_rows.yaml":        {ErrBadValue, `on_bad_rows: invalid value "skip" (allowed: reject, fail)`},
		"bad_cron.yaml":               {ErrBadValue, `schedule: invalid value "61 * * * *": end of range (61) above maximum (59)`},
		"cron_big_step.yaml":          {ErrBadValue, `schedule: invalid value "*/61 * * * *": step 61 of the minute field is larger than its range 0-59`},
		"cron_six_fields.yaml":        {ErrBadValue, `schedule: invalid value "0 */5 * * * *": 6 fields, want 5`},
		"every_too_short.yaml":        {ErrBadValue, `schedule: invalid value "@every 500ms": interval 500ms is under 1s (allowed: "@every D"`},
		"bad_name.yaml":               {ErrBadValue, `name: invalid value "my table" (allowed: 1 to 64 letters, digits, _ . -`},
		"create_query.yaml":           {ErrBadValue, "target.create: invalid value: a source query has no catalog to build the table from (allowed: false, or source.table)"},
		"bad_evolve.yaml":             {ErrBadValue, `target.evolve: invalid value "add_everything" (allowed: none, add_columns)`},
		"bad_deletes.yaml":            {ErrBadValue, `deletes: invalid value "purge" (allowed: delete, keep, mark)`},
		"mark_no_column.yaml":         {ErrMissing, "target.deleted_column: missing (allowed: a nullable DATETIME column of the target that no source column feeds; deletes: mark sets it)"},
		"deleted_column_no_mark.yaml": {ErrBadValue, `target.deleted_column: invalid value "gone_at": deletes is "delete" (allowed: deletes: mark, or no deleted_column)`},
		"deleted_column_mapped.yaml":  {ErrBadValue, `target.deleted_column: invalid value "note": a mapped column (allowed: a target column that no source column feeds)`},
		"bad_reconcile.yaml":          {ErrBadValue, `reconcile: invalid value "0 25 * * *": end of range (25) above maximum (23): 25 (allowed: "@every D"`},
		"reconcile_every_short.yaml":  {ErrBadValue, `reconcile: invalid value "@every 100ms": interval 100ms is under 1s (allowed: "@every D"`},
		"deleted_when_keep.yaml":      {ErrBadValue, `source.deleted_when: invalid value: deletes is "keep", which writes soft-deleted rows as ordinary rows (allowed: deletes: delete or mark, or no deleted_when)`},
		"deleted_when_two.yaml":       {ErrBadValue, `source.deleted_when: invalid value "IS_DELETED = 1; DELETE FROM T": a ';' (allowed: one SQL condition, like is_deleted = 1)`},
		"negative_lookback.yaml":      {ErrOutOfRange, "lookback: out of range: -10s (allowed: 0s to turn it off, or more; left out: 3 times settle)"},
		"negative_rate.yaml":          {ErrOutOfRange, "rate: out of range: -5 (allowed: 0 for unlimited, or rows per second from 1)"},
		"fractional_rate.yaml":        {ErrBadValue, "rate: invalid value 2.5 (allowed: a whole number)"},
		"bad_merge_pages.yaml":        {ErrOutOfRange, "merge_pages: out of range: 101 (allowed: 0 to 100; 0 and 1 commit each page alone)"},
		"bad_runs_keep.yaml":          {ErrOutOfRange, `runs.keep: out of range: 10m0s (allowed: 1h0m0s or more, like 720h or 30d)`},
		"bad_snapshot_parts.yaml":     {ErrOutOfRange, `snapshot.parts: out of range: 300 (allowed: 0 for one part per 1000000 source rows, at most 16; or 1 to 256)`},
		"bad_snapshot_key.yaml":       {ErrUnknownKey, `snapshot.part`},
	}
	cfg := loadTestConfig(t)
	checkEveryFile(t, "testdata/bad", tests, func(path string) error {
		_, err := LoadTable(path, cfg)
		return err
	})
}

// checkEveryFile runs load on every YAML file of dir and checks that its
// error wraps the expected sentinel and says "file: message". Every file
// needs a case, so none sits there untested.
func checkEveryFile(t *testing.T, dir string, tests map[string]struct {
	err error
	msg string
}, load func(path string) error) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%s holds %d files, the test has %d cases", dir, len(files), len(tests))
	}
	for _, path := range files {
		tt, ok := tests[filepath.Base(path)]
		if !ok {
			t.Errorf("%s: no test case", path)
			continue
		}
		err := load(path)
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", path, err, tt.err)
		}
		if want := path + ": " + tt.msg; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", path, err, want)
		}
	}
}

// TestValidateEveryProblem checks that Validate reports all problems at
// once, not only the first.
func TestValidateEveryProblem(t *testing.T) {
	tb := Table{
		File:      "t.yaml",
		Name:      "-bad",
		Source:    Source{Connection: "nope", Table: "a;b", Key: []string{"k", "K"}, CursorClock: "mars"},
		Target:    Target{Connection: "erp", Columns: map[string]string{"x": "y"}},
		Schedule:  "sometimes",
		OnBadRows: "ignore",
		Settle:    -time.Second,
	}
	err := tb.Validate(loadTestConfig(t))
	for _, want := range []string{
		"t.yaml: name: ", "t.yaml: source.connection: ", "t.yaml: source.table: ", "t.yaml: source.key[1]: ",
		"t.yaml: source.cursor: ", "t.yaml: source.cursor_clock: ", "t.yaml: target.connection: ", "t.yaml: target.table: ",
		`t.yaml: target.columns: missing key column "k"`, "t.yaml: schedule: ", "t.yaml: batch_size: ", "t.yaml: settle: ",
		"t.yaml: timeout: ", "t.yaml: on_bad_rows: ",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: no %q in\n%v", want, err)
		}
	}
	for _, sentinel := range []error{ErrBadValue, ErrUnknownConnection, ErrBadIdent, ErrMissing, ErrOutOfRange} {
		if !errors.Is(err, sentinel) {
			t.Errorf("Validate error does not wrap %v", sentinel)
		}
	}
}

// TestLoadTablesKeepsGood checks that one bad file and one duplicate name
// leave the other declarations running.
func TestLoadTablesKeepsGood(t *testing.T) {
	cfg := loadTestConfig(t)
	dir := t.TempDir()
	copyFile(t, "testdata/tables/supplier.yaml", filepath.Join(dir, "a_supplier.yaml"))
	copyFile(t, "testdata/tables/stock.yml", filepath.Join(dir, "b_stock.yml"))
	copyFile(t, "testdata/bad/injection.yaml", filepath.Join(dir, "c_injection.yaml"))
	copyFile(t, "testdata/tables/supplier.yaml", filepath.Join(dir, "d_copy.yaml"))
	copyFile(t, "testdata/tables/supplier.yaml", filepath.Join(dir, ".#a_supplier.yaml")) // an editor's lock file
	tables, err := LoadTables(dir, cfg)
	if len(tables) != 2 || tables[0].Name != "supplier" || tables[1].Name != "b_stock" {
		t.Errorf("LoadTables kept %d tables: %+v, want supplier and b_stock", len(tables), tables)
	}
	dup := filepath.Join(dir, "d_copy.yaml") + `: name: duplicate name "supplier" (also in ` + filepath.Join(dir, "a_supplier.yaml") + ")"
	if !errors.Is(err, ErrDuplicateName) || !errors.Is(err, ErrBadIdent) || !strings.Contains(err.Error(), dup) {
		t.Errorf("LoadTables error:\n%v\nwant ErrBadIdent and %s", err, dup)
	}
	if strings.Contains(err.Error(), ".#") {
		t.Errorf("LoadTables read a hidden file: %v", err)
	}
}

func TestLoadTablesMissingDir(t *testing.T) {
	if _, err := LoadTables("testdata/nowhere", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadTables(missing dir) = %v, want fs.ErrNotExist", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzLoadTable loads any bytes as a declaration: it must never panic, and
// either return a Table that validates or an error that wraps one of our
// sentinels.
func FuzzLoadTable(f *testing.F) {
	for _, dir := range []string{"testdata/tables", "testdata/bad"} {
		files, err := os.ReadDir(dir)
		if err != nil || len(files) == 0 {
			f.Fatalf("seed corpus %s: %d files, %v", dir, len(files), err)
		}
		for _, e := range files {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	cfg := loadTestConfig(f)
	sentinels := []error{ErrUnknownConnection, ErrBadIdent, ErrMissing, ErrOutOfRange, ErrBadValue, ErrUnknownKey, ErrSyntax}
	f.Fuzz(func(t *testing.T, yaml []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.yaml")
		if err := os.WriteFile(path, yaml, 0o600); err != nil {
			t.Fatal(err)
		}
		tb, err := LoadTable(path, cfg)
		if err == nil {
			if err := tb.Validate(cfg); err != nil {
				t.Fatalf("LoadTable accepted a table that does not validate: %v", err)
			}
			return
		}
		if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
			t.Fatalf("LoadTable error wraps none of the sentinels: %v", err)
		}
		if !strings.HasPrefix(err.Error(), path+": ") {
			t.Fatalf("LoadTable error does not start with the file: %v", err)
		}
	})
}

func TestLoadTablesSkipsConfig(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/syncd.yaml", filepath.Join(dir, "syncd.yaml"))
	copyFile(t, "testdata/secrets/pg.dsn", filepath.Join(dir, "pg.dsn"))
	copyFile(t, "testdata/tables/supplier.yaml", filepath.Join(dir, "supplier.yaml"))
	b, err := os.ReadFile(filepath.Join(dir, "syncd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.ReplaceAll(string(b), "secrets/pg.dsn", "pg.dsn") + "tables_dir: .\n"
	if err := os.WriteFile(filepath.Join(dir, "syncd.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, "syncd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := LoadTables(cfg.TablesDir, cfg)
	if err != nil || len(tables) != 1 {
		t.Errorf("LoadTables(%s) = %d tables, %v; want supplier alone", cfg.TablesDir, len(tables), err)
	}
}
