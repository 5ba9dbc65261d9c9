package tables

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// Defaults of syncd.yaml itself.
const (
	defaultTablesDir = "tables" // relative to the config file's directory
	defaultLogLevel  = "info"
	defaultLogFormat = "auto"
)

// driverAliases maps the other names people give a driver to ours.
var driverAliases = map[string]string{
	"mssql":      DriverSQLServer,
	"mariadb":    DriverMySQL,
	"postgresql": DriverPostgres,
	"pgx":        DriverPostgres,
}

// LoadConfig reads syncd.yaml at path, then lets SYNCD_ environment
// variables override any key (SYNCD_CONNECTIONS_ERP_DSN sets
// connections.erp.dsn), reads each dsn_file, and fills in defaults.
// Relative paths resolve against the config file's directory. If only
// validation fails, it returns the config with the error, so `syncd check`
// can go on to check the tables against it.
func LoadConfig(path string) (*Config, error) {
	k := koanf.New(".")
	if err := loadYAML(k, path); err != nil {
		return nil, err
	}
	m := newEnvMapper(k.Keys())
	if err := k.Load(env.Provider(".", env.Opt{Prefix: envPrefix, TransformFunc: m.transform}), nil); err != nil {
		return nil, fmt.Errorf("read environment: %w", err)
	}
	cfg := &Config{}
	set, err := decode(k, cfg, path)
	if err = errors.Join(append(m.errs, err)...); err != nil {
		return nil, err
	}
	cfg.File = path
	cfg.applyDefaults(set)
	if err := cfg.readDSNFiles(); err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

// loadYAML loads one YAML file into k. Read errors already name the file;
// parse errors get its name and ErrSyntax.
func loadYAML(k *koanf.Koanf, path string) error {
	err := k.Load(file.Provider(path), yaml.Parser())
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	if err == nil {
		err = secondDocument(path)
	}
	if err == nil {
		return nil
	}
	msg := strings.Join(strings.Fields(strings.TrimPrefix(err.Error(), "yaml: ")), " ")
	if strings.Contains(msg, "into map[string]interface {}") {
		msg = "line 1: the file must be a mapping of key: value"
	}
	return fmt.Errorf("%s: %w: %s", path, ErrSyntax, msg)
}

// docStart matches a YAML document marker.
var docStart = regexp.MustCompile(`(?m)^---(\s|$)`)

// secondDocument refuses a file holding more than one YAML document: the
// parser reads the first and drops the rest, which would silently lose a
// second declaration.
func secondDocument(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, m := range docStart.FindAllIndex(b, -1) {
		for _, line := range strings.Split(string(b[:m[0]]), "\n") {
			if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
				return fmt.Errorf("line %d: a second YAML document (allowed: one per file)", bytes.Count(b[:m[0]], []byte("\n"))+1)
			}
		}
	}
	return nil
}

// applyDefaults fills what syncd.yaml leaves out, normalizes driver
// names, and resolves relative paths against the config file's directory,
// so they mean the same whatever directory syncd is started from.
func (c *Config) applyDefaults(set map[string]bool) {
	dir := filepath.Dir(c.File)
	c.TablesDir = resolvePath(dir, cmp.Or(c.TablesDir, defaultTablesDir))
	c.Defaults = inherit(c.Defaults, set, "defaults.", builtinDefaults())
	c.Log.Level = cmp.Or(c.Log.Level, defaultLogLevel)
	c.Log.Format = cmp.Or(c.Log.Format, defaultLogFormat)
	c.applyProcessDefaults(set)
	for name, conn := range c.Connections {
		conn.Driver = strings.ToLower(strings.TrimSpace(conn.Driver))
		conn.Driver = cmp.Or(driverAliases[conn.Driver], conn.Driver)
		if conn.DSNFile != "" {
			conn.DSNFile = resolvePath(dir, conn.DSNFile)
		}
		c.Connections[name] = conn
	}
}

// resolvePath joins a relative path to dir.
func resolvePath(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// readDSNFiles reads each connection's dsn_file into its DSN.
func (c *Config) readDSNFiles() error {
	p := problems{file: c.File}
	for _, name := range slices.Sorted(maps.Keys(c.Connections)) {
		conn := c.Connections[name]
		field := "connections." + name + ".dsn_file"
		if conn.DSNFile == "" {
			continue
		}
		if conn.DSN != "" {
			p.addf(field, "%w: dsn is set too (allowed: one of dsn, dsn_file)", ErrBadValue)
			continue
		}
		b, err := os.ReadFile(conn.DSNFile)
		if err != nil {
			p.addf(field, "%w", err)
			continue
		}
		if conn.DSN = strings.TrimSpace(string(b)); conn.DSN == "" {
			p.addf(field, "%w: %s is empty (allowed: a file holding the DSN)", ErrMissing, conn.DSNFile)
		}
		c.Connections[name] = conn
	}
	return p.err()
}

// builtinDefaults are the defaults of a declaration when syncd.yaml sets
// none.
func builtinDefaults() Defaults {
	return Defaults{
		Schedule:  DefaultSchedule,
		BatchSize: DefaultBatchSize,
		Settle:    DefaultSettle,
		OnBadRows: OnBadRowsReject,
		Timeout:   DefaultTimeout,
		Queue:     DefaultQueue,

		PageTimeout: DefaultPageTimeout,
	}
}

// inherit returns r with every field whose key (under prefix) the YAML did
// not set taken from d.
func inherit(r Defaults, set map[string]bool, prefix string, d Defaults) Defaults {
	unset := func(key string) bool { return !set[prefix+key] }
	if unset("schedule") {
		r.Schedule = d.Schedule
	}
	if unset("batch_size") {
		r.BatchSize = d.BatchSize
	}
	if unset("settle") {
		r.Settle = d.Settle
	}
	if unset("overlap") {
		r.Overlap = d.Overlap
	}
	if unset("on_bad_rows") {
		r.OnBadRows = d.OnBadRows
	}
	if unset("timeout") {
		r.Timeout = d.Timeout
	}
	if unset("queue") {
		r.Queue = d.Queue
	}
	if unset("merge_pages") {
		r.MergePages = d.MergePages
	}
	if unset("page_timeout") {
		r.PageTimeout = d.PageTimeout
	}
	if unset("runs.keep") {
		r.Runs.Keep = d.Runs.Keep
	}
	return r
}

// LoadTables loads every *.yaml and *.yml file of dir, in name order, one
// declaration per file. It returns the declarations that loaded and
// validated, and an error joining the problems of all the others, so a
// caller can run the good ones while reporting the bad. Names must be
// unique ignoring case (they key the state table); a later file reusing a
// name is refused.
func LoadTables(dir string, cfg *Config) ([]Table, error) {
	files, err := LoadDir(dir, cfg)
	if err != nil {
		return nil, err
	}
	var good []Table
	var errs []error
	for _, f := range files {
		if f.Err != nil {
			errs = append(errs, f.Err)
			continue
		}
		good = append(good, f.Table)
	}
	return good, errors.Join(errs...)
}

// File is one declaration file of a directory as it loaded: Err is set
// when it did not, and Table then holds what could be read.
type File struct {
	Path  string
	Table Table
	Err   error
}

// LoadDir loads every declaration file of dir, in name order, as
// LoadTables does, but reports each file on its own, so that a caller
// that reloads (the scheduler) can keep a broken file's last good
// declaration. The error is for a directory that cannot be read.
func LoadDir(dir string, cfg *Config) ([]File, error) {
	paths, err := tableFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []File
	seen := map[string]string{} // lower-cased name: file
	for _, path := range paths {
		if cfg != nil && sameFile(path, cfg.File) {
			continue // tables_dir: . puts syncd.yaml among the declarations
		}
		t, err := LoadTable(path, cfg)
		if first, dup := seen[strings.ToLower(t.Name)]; err == nil && dup {
			err = fmt.Errorf("%s: name: %w %q (also in %s)", path, ErrDuplicateName, t.Name, first)
		}
		if err == nil {
			seen[strings.ToLower(t.Name)] = path
		}
		out = append(out, File{Path: path, Table: t, Err: err})
	}
	return out, nil
}

// sameFile reports whether paths a and b name the same existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// tableFiles lists the YAML files of dir, sorted. Hidden files are left
// out: editors' lock files, and the ..data links of a mounted ConfigMap.
func tableFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read table declarations: %w", err)
	}
	var paths []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	return paths, nil
}

// LoadTable loads and validates the declaration in one file, filling in
// defaults: cfg.Defaults for the settings the file leaves out, cfg.Target
// for target.connection, local for source.cursor_clock, and the file's
// base name for name. A nil cfg means built-in defaults and no connection
// checks. On error the returned Table holds what could be read.
func LoadTable(path string, cfg *Config) (Table, error) {
	t := Table{File: path}
	k := koanf.New(".")
	if err := loadYAML(k, path); err != nil {
		return t, err
	}
	set, err := decode(k, &t, path)
	if err != nil {
		return t, err
	}
	t.applyDefaults(set, cfg)
	return t, t.Validate(cfg)
}

// applyDefaults fills what the declaration leaves out.
func (t *Table) applyDefaults(set map[string]bool, cfg *Config) {
	if t.Name == "" {
		t.Name = strings.TrimSuffix(filepath.Base(t.File), filepath.Ext(t.File))
	}
	d, target := builtinDefaults().orBuiltin(), ""
	if cfg != nil {
		d, target = cfg.Defaults.orBuiltin(), cfg.Target
	}
	t.setRun(inherit(t.run(), set, "", d))
	if !set["runs.keep"] {
		t.Runs.Keep = d.Runs.Keep
	}
	t.Target.Connection = cmp.Or(t.Target.Connection, target)
	t.Source.CursorClock = cmp.Or(t.Source.CursorClock, ClockLocal)
	t.Target.Evolve = cmp.Or(t.Target.Evolve, EvolveNone)
	t.Deletes = cmp.Or(t.Deletes, DeletesDelete)
	if !set["lookback"] {
		t.Lookback = LookbackSettles * t.Settle
	}
}
