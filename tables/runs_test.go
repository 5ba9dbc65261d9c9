package tables

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// runs.keep comes from the declaration, else from defaults of syncd.yaml
// (in days or as a Go duration), else 30 days.
func TestRunsKeep(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfgPath := write("syncd.yaml", "connections:\n  erp: {driver: postgres, dsn: 'postgres://x@h/db'}\n  wms: {driver: mysql, dsn: 'root@tcp(h:3306)/db'}\ntarget: wms\ndefaults:\n  runs: {keep: 7d}\n")
	decl := "source: {connection: erp, table: t, key: [id], cursor: c}\ntarget: {table: t}\n"
	plain, own := write("plain.yaml", decl), write("own.yaml", decl+"runs: {keep: 2h}\n")
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]time.Duration{plain: 7 * 24 * time.Hour, own: 2 * time.Hour} {
		tb, err := LoadTable(path, cfg)
		if err != nil || tb.Runs.Keep != want {
			t.Errorf("%s: runs.keep %v (%v), want %v", path, tb.Runs.Keep, err, want)
		}
	}
	// Without syncd.yaml the target connection is missing; the defaults
	// are applied all the same.
	if tb, err := LoadTable(plain, nil); !errors.Is(err, ErrMissing) || tb.Runs.Keep != DefaultRunsKeep {
		t.Errorf("without syncd.yaml: runs.keep %v (%v), want %v and the missing connection", tb.Runs.Keep, err, DefaultRunsKeep)
	}
}
