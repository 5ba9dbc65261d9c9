package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Catalog is the live set of table declarations of a worker or scheduler:
// it reloads tables_dir when a file in it changes, and keeps the last good
// declaration of a file that breaks, so that a typo in one file neither
// stops that table nor any other. A file that is removed takes its table
// with it. syncd.yaml itself is read once, at start.
type Catalog struct {
	cfg *tables.Config
	log zerolog.Logger

	mu     sync.Mutex
	stamp  string                  // what the directory looked like at the last load
	quick  quickStamp              // the same, for Lookup's shortcut
	good   map[string]tables.Table // path: last good declaration
	broken map[string]string       // path: problem already reported
	bad    []BrokenFile            // the broken files, by name
}

// NewCatalog loads cfg.TablesDir. A directory that cannot be read is an
// error; broken files are logged and left out.
func NewCatalog(cfg *tables.Config, log zerolog.Logger) (*Catalog, error) {
	c := &Catalog{cfg: cfg, log: log, good: map[string]tables.Table{}, broken: map[string]string{}}
	if _, err := c.Refresh(); err != nil {
		return nil, err
	}
	return c, nil
}

// Refresh reloads the declarations if any file of the directory changed
// since the last load, and reports whether the set changed. A problem is
// logged once per file and problem, not at every refresh.
func (c *Catalog) Refresh() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	quick, err := takeQuickStamp(c.cfg.TablesDir)
	if err != nil {
		return false, err
	}
	stamp, err := dirStamp(c.cfg.TablesDir, quick.files)
	if err != nil {
		return false, err
	}
	c.quick = quick
	if stamp == c.stamp {
		return false, nil
	}
	files, err := tables.LoadDir(c.cfg.TablesDir, c.cfg)
	if err != nil {
		return false, err
	}
	first := c.stamp == ""
	c.stamp = stamp
	good := make(map[string]tables.Table, len(files))
	broken := map[string]string{}
	bad := BrokenFiles(files)
	for _, f := range files {
		if f.Err == nil {
			good[f.Path] = f.Table
			if _, was := c.broken[f.Path]; was {
				c.log.Info().Str("file", f.Path).Str(datasync.FieldTable, f.Table.Name).Msg("declaration loads again")
			}
			continue
		}
		broken[f.Path] = f.Err.Error()
		last, hadGood := c.good[f.Path]
		if hadGood && c.clashes(good, last) {
			hadGood = false
		}
		if hadGood {
			good[f.Path] = last
		}
		if c.broken[f.Path] == f.Err.Error() {
			continue
		}
		ev := c.log.Error().Str("file", f.Path).Err(f.Err)
		if hadGood {
			ev.Str(datasync.FieldTable, last.Name).Msg("declaration is broken; keeping its last good version until it is fixed")
		} else {
			ev.Msg("declaration is broken; it is not synced until it is fixed")
		}
	}
	changed := !sameTables(c.good, good)
	if !first {
		c.logChanges(c.good, good, broken)
	}
	c.good, c.broken, c.bad = good, broken, bad
	return changed, nil
}

// logChanges logs each declaration added, changed or removed between
// two loads of the directory; a file that broke is logged as such.
func (c *Catalog) logChanges(before, after map[string]tables.Table, broken map[string]string) {
	for path, t := range after {
		old, ok := before[path]
		switch {
		case !ok:
			c.log.Info().Str("file", path).Str(datasync.FieldTable, t.Name).Str("schedule", t.Schedule).Msg("new declaration")
		case fmt.Sprintf("%#v", old) != fmt.Sprintf("%#v", t):
			c.log.Info().Str("file", path).Str(datasync.FieldTable, t.Name).Str("schedule", t.Schedule).Msg("declaration changed")
		}
	}
	for path, t := range before {
		if _, ok := after[path]; !ok && broken[path] == "" {
			c.log.Info().Str("file", path).Str(datasync.FieldTable, t.Name).Msg("declaration removed")
		}
	}
}

// clashes reports whether a broken file's last good declaration t shares
// its name with another file's good one: then the other file wins.
func (c *Catalog) clashes(good map[string]tables.Table, t tables.Table) bool {
	for _, g := range good {
		if strings.EqualFold(g.Name, t.Name) {
			return true
		}
	}
	return false
}

// Tables returns the current declarations, sorted by name, after a
// refresh. A refresh error keeps the last set and is logged.
func (c *Catalog) Tables() []tables.Table {
	if _, err := c.Refresh(); err != nil {
		c.log.Error().Err(err).Msg("reload table declarations")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]tables.Table, 0, len(c.good))
	for _, t := range c.good {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b tables.Table) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the current declaration called name.
func (c *Catalog) Lookup(name string) (tables.Table, bool) {
	if t, ok := c.quickLookup(name); ok {
		return t, true
	}
	for _, t := range c.Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return tables.Table{}, false
}

// Problems returns the problem of each broken file, by path.
func (c *Catalog) Problems() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.broken))
	for k, v := range c.broken {
		out[k] = v
	}
	return out
}

// Broken returns the declaration files that do not load, after a refresh
// (see Tables).
func (c *Catalog) Broken() []BrokenFile {
	c.Tables()
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.bad)
}

// dirStamp sums up the names, sizes and modification times of the
// directory's entries: cheap enough to take at every refresh, and
// different after any edit, addition or removal.
func dirStamp(dir string, files map[string]string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("read table declarations: %w", err)
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // removed while listing; the next refresh sees it
		}
		line := fileStamp(info)
		files[filepath.Join(dir, e.Name())] = line
		b.WriteString(line + "\n")
	}
	return b.String(), nil
}

// sameTables reports whether two sets of declarations are equal.
func sameTables(a, b map[string]tables.Table) bool {
	if len(a) != len(b) {
		return false
	}
	for k, t := range a {
		u, ok := b[k]
		if !ok || fmt.Sprintf("%#v", t) != fmt.Sprintf("%#v", u) {
			return false
		}
	}
	return true
}

// quickStamp is what the directory's own entry looked like at a refresh
// (it changes when a file is added, removed or renamed), and each file's
// line of dirStamp.
type quickStamp struct {
	dir   string
	files map[string]string // path: stamp line
}

func takeQuickStamp(dir string) (quickStamp, error) {
	q := quickStamp{files: map[string]string{}}
	info, err := os.Stat(dir)
	if err != nil {
		return q, fmt.Errorf("read table declarations: %w", err)
	}
	q.dir = fileStamp(info)
	return q, nil
}

func fileStamp(info os.FileInfo) string {
	return fmt.Sprintf("%s|%d|%d", info.Name(), info.Size(), info.ModTime().UnixNano())
}

// quickLookup returns the declaration of name when neither the
// directory's entries nor name's own file changed since the last refresh:
// two stats, where a refresh takes one per file, which a worker of a
// thousand tables would pay at every task.
func (c *Catalog) quickLookup(name string) (tables.Table, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.quick.dir == "" {
		return tables.Table{}, false
	}
	for path, t := range c.good {
		if t.Name != name {
			continue
		}
		dir, err := os.Stat(c.cfg.TablesDir)
		if err != nil || fileStamp(dir) != c.quick.dir {
			return tables.Table{}, false
		}
		f, err := os.Stat(path)
		if err != nil || fileStamp(f) != c.quick.files[path] {
			return tables.Table{}, false
		}
		return t, true
	}
	return tables.Table{}, false
}
