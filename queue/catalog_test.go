package queue_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/tables"
)

// The catalog logs each declaration file it picks up: new, changed,
// removed; not the ones it loads at start.
func TestCatalogLogsDeclarationChanges(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(filepath.Join(dir, "tables"), 0o755))
	write("syncd.yaml", "connections:\n  src: {driver: postgres, dsn: 'postgres://x@127.0.0.1/x'}\n  tgt: {driver: mysql, dsn: 'x@tcp(127.0.0.1)/x'}\ntarget: tgt\n")
	decl := "source: {connection: src, table: t, key: [id], cursor: c}\ntarget: {table: t}\nschedule: %q\n"
	write("tables/old.yaml", strings.Replace(decl, "%q", `"@daily"`, 1))
	cfg, err := tables.LoadConfig(filepath.Join(dir, "syncd.yaml"))
	must(err)
	var b bytes.Buffer
	cat, err := queue.NewCatalog(cfg, zerolog.New(&b))
	must(err)
	if b.Len() != 0 {
		t.Fatalf("logged at start: %s", b.String())
	}
	write("tables/new.yaml", strings.Replace(decl, "%q", `"@hourly"`, 1))
	write("tables/old.yaml", strings.Replace(decl, "%q", `"@every 1m"`, 1))
	_, err = cat.Refresh()
	must(err)
	must(os.Remove(filepath.Join(dir, "tables", "new.yaml")))
	_, err = cat.Refresh()
	must(err)
	for _, want := range []string{`"table":"new","schedule":"@hourly","message":"new declaration"`,
		`"table":"old","schedule":"@every 1m","message":"declaration changed"`, `"table":"new","message":"declaration removed"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("log does not hold %s:\n%s", want, b.String())
		}
	}
}
