package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
)

// writeConfig writes a syncd.yaml and table files into a fresh directory.
func writeConfig(t *testing.T, syncdYAML string, tableFiles map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "syncd.yaml"), []byte(syncdYAML), 0o600))
	must(t, os.MkdirAll(filepath.Join(dir, "tables"), 0o755))
	for name, body := range tableFiles {
		must(t, os.WriteFile(filepath.Join(dir, "tables", name), []byte(body), 0o600))
	}
	return filepath.Join(dir, "syncd.yaml")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// runCLI runs syncd with args and returns its output and exit code.
func runCLI(args ...string) (string, int) {
	var out bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--log-format", "json"))
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return out.String(), 0
	}
	out.WriteString(err.Error())
	var ee *exitError
	if errors.As(err, &ee) {
		return out.String(), ee.code
	}
	return out.String(), exitFailed
}

const itemsTable = `name: items
source: {connection: src, table: items, key: [id], cursor: updated_at}
target: {table: items}
batch_size: 3
settle: 0s
`

// itemsWorld makes a PostgreSQL table items (id, name, updated_at) of n
// rows stamped an hour ago, a MariaDB database, and a configuration over
// them (connections src and tgt) that declares items by table, YAML.
func itemsWorld(t *testing.T, n int, table string) (cfg string, src, tgt *sql.DB) {
	t.Helper()
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src = synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		fmt.Sprintf(`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, %d) i`, n))
	tgt = synctest.Open(t, "mysql", myDSN)
	cfg = writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": table})
	return cfg, src, tgt
}

// TestSyncCommandEndToEnd declares a PostgreSQL table, runs syncd sync and
// finds every row in MariaDB with the cursor stored beside them.
func TestSyncCommandEndToEnd(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`,
		`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, 10) i`)
	tgt := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": itemsTable})

	if out, code := runCLI("-c", cfg, "check", "--connect"); code != 0 || !strings.Contains(out, "ok: 1 table\n") {
		t.Fatalf("check --connect: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	var n int
	var cursor string
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n))
	must(t, tgt.QueryRow("SELECT last_key FROM syncd_state WHERE table_name = 'items'").Scan(&cursor))
	if n != 10 || cursor != `["i:10"]` {
		t.Fatalf("target has %d rows and last key %s, want 10 and row 10", n, cursor)
	}

	if out, code := runCLI("-c", cfg, "verify", "--all"); code != 0 || !strings.Contains(out, "items: equal: compared src:items with tgt:items (3 columns) in ") ||
		!strings.Contains(out, "source 10 rows, target 10 rows") {
		t.Fatalf("verify after sync: exit %d\n%s", code, out)
	}
	synctest.Exec(t, tgt, "DELETE FROM items WHERE id = 3")
	out, code := runCLI("-c", cfg, "verify", "items", "--json")
	if code != exitFailed || !strings.Contains(out, `"missing":1`) || !strings.Contains(out, `{"key":"3","kind":"missing"}`) {
		t.Fatalf("verify with a row deleted from the target: exit %d, want %d and key 3 missing\n%s", code, exitFailed, out)
	}
}

func TestCheckReportsBadDeclarationsWithExitCode2(t *testing.T) {
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: 'postgres://x@127.0.0.1/x'}\n  tgt: {driver: mysql, dsn: 'x@tcp(127.0.0.1)/x'}\ntarget: tgt\n",
		map[string]string{"bad.yaml": "name: bad\nsource: {connection: nope, table: 'x; DROP TABLE y', key: [id], cursor: c}\ntarget: {table: t}\n"})
	out, code := runCLI("-c", cfg, "check")
	if code != exitBadConfig {
		t.Fatalf("exit %d, want %d\n%s", code, exitBadConfig, out)
	}
	for _, want := range []string{"bad.yaml", "source.connection", `"nope"`, "source.table"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output does not name %s:\n%s", want, out)
		}
	}
}

func TestSyncOfUndeclaredTableIsAConfigError(t *testing.T) {
	cfg := writeConfig(t, "connections:\n  tgt: {driver: mysql, dsn: 'x@tcp(127.0.0.1)/x'}\ntarget: tgt\n", nil)
	out, code := runCLI("-c", cfg, "sync", "ghost")
	if code != exitBadConfig || !strings.Contains(out, `"ghost" is not declared`) {
		t.Fatalf("exit %d, want %d naming the table:\n%s", code, exitBadConfig, out)
	}
}

// A wrong password fails the run, and the password appears nowhere.
func TestWrongPasswordIsRedacted(t *testing.T) {
	const secret = "hunter2-secret"
	_, myDSN := synctest.MariaDB(t)
	bad := strings.Replace(myDSN, "root@", "nobody:"+secret+"@", 1)
	cfg := writeConfig(t, "connections:\n  src: {driver: mysql, dsn: '"+bad+"'}\n  tgt: {driver: mysql, dsn: '"+bad+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": itemsTable})
	for _, args := range [][]string{{"sync", "items"}, {"check", "--connect"}} {
		out, code := runCLI(append([]string{"-c", cfg}, args...)...)
		if code == 0 {
			t.Fatalf("%v with a wrong password succeeded", args)
		}
		if strings.Contains(out, secret) {
			t.Fatalf("%v printed the password:\n%s", args, out)
		}
	}
}

// syncd plan prints the CREATE TABLE of target.create and runs nothing;
// check --connect says the first run will create it; sync does.
func TestPlanThenCreate(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "pgx", pgDSN),
		`CREATE TABLE items (id bigint PRIMARY KEY, name varchar(30), updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`,
		`INSERT INTO items VALUES (1, 'a', localtimestamp - interval '1 hour')`)
	tgt := synctest.Open(t, "mysql", myDSN)
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": strings.Replace(itemsTable, "target: {table: items}", "target: {table: wms_items, create: true, columns: {item_id: id, label: name, changed: updated_at}}", 1)})

	out, code := runCLI("-c", cfg, "plan", "items")
	want := "CREATE TABLE `wms_items` (\n  `changed` DATETIME(6) NOT NULL,\n  `item_id` BIGINT NOT NULL,\n  `label` VARCHAR(30) NULL,\n" +
		"  PRIMARY KEY (`item_id`),\n  KEY `syncd_cursor` (`changed`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("plan: exit %d\n%s\nwant\n%s", code, out, want)
	}
	var n int
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wms_items'").Scan(&n))
	if n != 0 {
		t.Fatal("plan created the table")
	}
	if out, code := runCLI("-c", cfg, "check", "--connect"); code != 0 || !strings.Contains(out, "the first run creates it") {
		t.Fatalf("check --connect: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	var label string
	must(t, tgt.QueryRow("SELECT label FROM wms_items WHERE item_id = 1").Scan(&label))
	if label != "a" {
		t.Fatalf("label = %q", label)
	}
}

// A retyped source column stops syncd sync with exit code 1 and says how
// to go on; --accept-schema, once the target matches, goes on.
func TestSyncAcceptSchema(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name varchar(10), updated_at timestamp(6) NOT NULL)`,
		`INSERT INTO items VALUES (1, 'a', localtimestamp - interval '1 hour')`)
	tgt := synctest.Open(t, "mysql", myDSN)
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": strings.Replace(itemsTable, "target: {table: items}", "target: {table: items, create: true}", 1)})
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("first sync: exit %d\n%s", code, out)
	}
	synctest.Exec(t, src, `ALTER TABLE items ALTER COLUMN name TYPE varchar(40)`,
		`INSERT INTO items VALUES (2, 'a name longer than ten', localtimestamp - interval '1 minute')`)
	if out, code := runCLI("-c", cfg, "sync", "items"); code != exitFailed {
		t.Fatalf("sync after ALTER: exit %d\n%s", code, out)
	}
	// The log (stderr) and the run log say the same.
	var runErr string
	must(t, tgt.QueryRow("SELECT error FROM syncd_runs ORDER BY id DESC LIMIT 1").Scan(&runErr))
	if !strings.Contains(runErr, "column name changed type from character varying(10) to character varying(40)") ||
		!strings.Contains(runErr, "syncd sync items --accept-schema") {
		t.Fatalf("run error: %s", runErr)
	}
	synctest.Exec(t, tgt, "ALTER TABLE items MODIFY name VARCHAR(40)")
	if out, code := runCLI("-c", cfg, "sync", "items", "--accept-schema"); code != 0 {
		t.Fatalf("sync --accept-schema: exit %d\n%s", code, out)
	}
	var name string
	must(t, tgt.QueryRow("SELECT name FROM items WHERE id = 2").Scan(&name))
	if name != "a name longer than ten" {
		t.Fatalf("name = %q", name)
	}
}

// Bad input: each case gives one error line that names the file (or the
// server) and the field, exit code 2 for a configuration problem and 1
// for a server that cannot be reached.
func TestBadInputErrors(t *testing.T) {
	good := "connections:\n  src: {driver: postgres, dsn: 'postgres://x@127.0.0.1:1/x'}\n  tgt: {driver: mysql, dsn: 'x@tcp(127.0.0.1:1)/x'}\ntarget: tgt\n"
	table := "source: {connection: src, table: items, key: [id], cursor: updated_at}\ntarget: {table: items}\n"
	for name, c := range map[string]struct {
		config string
		tables map[string]string
		args   []string
		code   int
		want   []string
	}{
		"malformed syncd.yaml":    {config: "connections: [\n", args: []string{"check"}, code: exitBadConfig, want: []string{"syncd.yaml", "line"}},
		"unknown key":             {config: good + "workers: {concurrency: 2}\n", args: []string{"check"}, code: exitBadConfig, want: []string{"syncd.yaml", "workers", "did you mean worker"}},
		"wrong type":              {config: good + "worker: {concurrency: many}\n", args: []string{"check"}, code: exitBadConfig, want: []string{"syncd.yaml", "worker.concurrency"}},
		"malformed declaration":   {config: good, tables: map[string]string{"items.yaml": "source: {connection: src\n"}, args: []string{"check"}, code: exitBadConfig, want: []string{"items.yaml", "line"}},
		"unknown declaration key": {config: good, tables: map[string]string{"items.yaml": table + "shedule: '@every 1s'\n"}, args: []string{"check"}, code: exitBadConfig, want: []string{"items.yaml", "shedule", "schedule"}},
		"bad schedule":            {config: good, tables: map[string]string{"items.yaml": table + "schedule: '@every 1ms'\n"}, args: []string{"check"}, code: exitBadConfig, want: []string{"items.yaml", "schedule", "under 1s"}},
		"unreachable server":      {config: good, tables: map[string]string{"items.yaml": table}, args: []string{"sync", "items"}, code: exitFailed, want: []string{"items: connect to src", "127.0.0.1:1", "connection refused"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := writeConfig(t, c.config, c.tables)
			out, code := runCLI(append([]string{"-c", cfg}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
		})
	}
	out, code := runCLI("-c", filepath.Join(t.TempDir(), "nowhere.yaml"), "check")
	if code != exitBadConfig || !strings.Contains(out, "nowhere.yaml") || strings.Count(strings.TrimSpace(out), "\n") > 0 {
		t.Fatalf("missing syncd.yaml: exit %d, want %d and one line naming the file\n%s", code, exitBadConfig, out)
	}
}

// A refused row does not fail the sync; syncd rejects shows it with the
// server's error; verify counts it missing.
func TestRejectsCommand(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`INSERT INTO items SELECT i, 'n' || i, localtimestamp - interval '1 hour' FROM generate_series(1, 10) i`,
		`UPDATE items SET name = 'far too long for the target' WHERE id = 4`)
	tgt := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": itemsTable})
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("sync with one bad row: exit %d\n%s", code, out)
	}
	out, code := runCLI("-c", cfg, "rejects", "items")
	if code != 0 || !strings.Contains(out, "items: 1 rejected rows") || !strings.Contains(out, `key ["i:4"]`) ||
		!strings.Contains(out, "Data too long for column 'name'") || !strings.Contains(out, "far too long for the target") {
		t.Fatalf("rejects: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", cfg, "verify", "items"); code != exitFailed || !strings.Contains(out, "1 missing") {
		t.Fatalf("verify: exit %d, want 1 missing\n%s", code, out)
	}
	if out, code := runCLI("-c", cfg, "status", "items", "--json"); code != 0 || !strings.Contains(out, `"rows_rejected": 1`) {
		t.Fatalf("status: exit %d, want rows_rejected 1\n%s", code, out)
	}
}

// check NAME of a broken file reports the file's problem, and check
// --connect has the source parse the page query, declared where: included.
func TestCheckNamesTheProblemOfABrokenFileAndABadWhere(t *testing.T) {
	pgDSN := synctest.Postgres(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "pgx", pgDSN)
	synctest.Exec(t, src, `CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(6) NOT NULL)`,
		`CREATE INDEX items_sync ON items (updated_at, id)`)
	tgt := synctest.Open(t, "mysql", myDSN)
	synctest.Exec(t, tgt, "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(6) NOT NULL)")
	cfg := writeConfig(t, "connections:\n  src: {driver: postgres, dsn: '"+pgDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"items.yaml": strings.Replace(itemsTable, "cursor: updated_at}", "cursor: updated_at, where: \"name = = 'x'\"}", 1),
			"orders.yaml": "name: orders\nsource: {connection: src, table: orders, key: [id], cursor: c}\ntarget: {table: orders}\nschedule: '*/61 * * * *'\n"})

	out, code := runCLI("-c", cfg, "check", "orders")
	if code != exitBadConfig || strings.Contains(out, "not declared") || !strings.Contains(out, `table "orders": its declaration does not load`) ||
		!strings.Contains(out, "schedule") {
		t.Fatalf("check of a broken file: exit %d\n%s", code, out)
	}
	must(t, os.Remove(filepath.Join(filepath.Dir(cfg), "tables", "orders.yaml")))
	out, code = runCLI("-c", cfg, "check", "items", "--connect")
	if code != exitFailed || !strings.Contains(out, "refuses the page query") || !strings.Contains(out, "tables refused: 1 problem") {
		t.Fatalf("check --connect of a where: that does not parse: exit %d\n%s", code, out)
	}
}

// With Redis down, enqueue says so in one line naming its address, with
// none of Asynq's error codes.
func TestRedisUnreachableIsOneClearLine(t *testing.T) {
	cfg := writeConfig(t, "connections:\n  tgt: {driver: mysql, dsn: 'x@tcp(127.0.0.1)/x'}\ntarget: tgt\nredis: {addr: '127.0.0.1:1'}\n",
		map[string]string{"items.yaml": "source: {connection: tgt, table: items, key: [id], cursor: c}\ntarget: {table: items}\n"})
	out, code := runCLI("-c", cfg, "enqueue", "items")
	if code != exitFailed || !strings.Contains(out, "redis at 127.0.0.1:1 is not reachable: dial tcp 127.0.0.1:1") || strings.Contains(out, "UNKNOWN") {
		t.Fatalf("enqueue with redis down: exit %d\n%s", code, out)
	}
}

// syncd sync of a table that declares snapshot.parts takes its first load
// as a snapshot in this process: every part runs, the snapshot ends, and
// the cursor is at its bound (no last key: inclusive), the rows all there.
func TestSyncCommandLoadsBySnapshot(t *testing.T) {
	cfg, _, tgt := itemsWorld(t, 30, strings.Replace(itemsTable, "target: {table: items}", "target: {table: items, create: true}", 1)+"snapshot: {parts: 3}\n")
	if out, code := runCLI("-c", cfg, "sync", "items"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	var n, parts int
	var status string
	var key *string
	must(t, tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n))
	must(t, tgt.QueryRow("SELECT status, parts FROM syncd_snapshots WHERE table_name = 'items'").Scan(&status, &parts))
	must(t, tgt.QueryRow("SELECT last_key FROM syncd_state WHERE table_name = 'items'").Scan(&key))
	if n != 30 || status != "done" || parts != 3 || key != nil {
		t.Fatalf("target has %d rows, snapshot %s in %d parts, last key %v; want 30 rows, done in 3 parts, no last key", n, status, parts, key)
	}
}
