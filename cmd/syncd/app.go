package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/tables"
)

// app is the loaded configuration and logger a subcommand works with.
type app struct {
	cfg    *tables.Config
	tables []tables.Table
	// broken holds the problems of declarations that did not load, and
	// brokenFiles those files.
	broken      error
	brokenFiles []queue.BrokenFile
	log         zerolog.Logger
}

// load reads syncd.yaml and every declaration. A broken syncd.yaml is a
// configuration error; broken declarations are kept in broken so that each
// subcommand decides what they mean for it.
func load(g *globals) (*app, error) {
	cfg, err := tables.LoadConfig(g.config)
	if err != nil {
		return nil, badConfig(err)
	}
	a := &app{cfg: cfg}
	a.loadTables()
	a.log, err = newLogger(os.Stderr, pick(g.logLevel, cfg.Log.Level), pick(g.logFormat, cfg.Log.Format))
	if err != nil {
		return nil, badConfig(err)
	}
	return a, nil
}

// loadTables loads the declarations of the tables directory: the good
// ones into tables, the problems of the others into broken and brokenFiles.
func (a *app) loadTables() {
	files, err := tables.LoadDir(a.cfg.TablesDir, a.cfg)
	if err != nil {
		a.broken = err
		return
	}
	var errs []error
	for _, f := range files {
		if f.Err != nil {
			errs = append(errs, f.Err)
			continue
		}
		a.tables = append(a.tables, f.Table)
	}
	a.broken, a.brokenFiles = errors.Join(errs...), queue.BrokenFiles(files)
}

func pick(flag, cfg string) string {
	if flag != "" {
		return flag
	}
	return cfg
}

// durationsWithUnits makes every duration field read as Go writes a
// duration ("1.503s", "250ms") instead of a bare number of milliseconds.
// zerolog keeps the setting in a package variable: it is set once.
var durationsWithUnits sync.Once

// newLogger returns JSON lines, or readable console lines when format is
// "console", or "auto" and w is a terminal.
func newLogger(w io.Writer, level, format string) (zerolog.Logger, error) {
	durationsWithUnits.Do(func() { zerolog.DurationFieldFormat = zerolog.DurationFormatString })
	lvl, err := zerolog.ParseLevel(strings.ToLower(pick(level, "info")))
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("log level %q: allowed: debug, info, warn, error", level)
	}
	switch pick(format, "auto") {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w}
	case "auto":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			w = zerolog.ConsoleWriter{Out: w}
		}
	default:
		return zerolog.Nop(), fmt.Errorf("log format %q: allowed: json, console, auto", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// find returns the declarations called names, or all with all set. A name
// that is not declared, or whose file is broken, is a configuration error.
func (a *app) find(names []string, all bool) ([]tables.Table, error) {
	if all {
		return a.tables, nil
	}
	if len(names) == 0 {
		return nil, badConfig(errors.New("name at least one table, or --all"))
	}
	byName := make(map[string]tables.Table, len(a.tables))
	for _, t := range a.tables {
		byName[t.Name] = t
	}
	var out []tables.Table
	var errs []error
	for _, n := range names {
		t, ok := byName[n]
		if b, broken := a.brokenFile(n); !ok && broken {
			errs = append(errs, fmt.Errorf("table %q: its declaration does not load: %s", n, b.Problem))
			continue
		}
		if !ok {
			errs = append(errs, fmt.Errorf("table %q is not declared in %s%s", n, a.cfg.TablesDir, a.brokenHint()))
			continue
		}
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, badConfig(errors.Join(errs...))
	}
	return out, nil
}

// brokenFile returns the broken declaration file of the table name.
func (a *app) brokenFile(name string) (queue.BrokenFile, bool) {
	for _, b := range a.brokenFiles {
		if strings.EqualFold(b.Name, name) {
			return b, true
		}
	}
	return queue.BrokenFile{}, false
}

func (a *app) brokenHint() string {
	if a.broken == nil {
		return ""
	}
	return " (some declarations did not load; run syncd check)"
}
