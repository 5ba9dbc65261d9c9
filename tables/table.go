// Package tables holds the declarations of the tables syncd keeps in step:
// their Go types, loading them from YAML with koanf, defaults and
// validation. It knows nothing of databases, queues or loggers.
package tables

import "time"

// Table is one declared table: where its rows come from, where they go, and
// how often. Name is unique; it is the Asynq task id and the state key.
type Table struct {
	Name      string        `koanf:"name"`
	Source    Source        `koanf:"source"`
	Target    Target        `koanf:"target"`
	Schedule  string        `koanf:"schedule"`
	BatchSize int           `koanf:"batch_size"`
	Settle    time.Duration `koanf:"settle"`
	Overlap   time.Duration `koanf:"overlap"`
	OnBadRows string        `koanf:"on_bad_rows"`
	Timeout   time.Duration `koanf:"timeout"`
	// PageTimeout bounds each statement of a run that reads or writes a
	// page (and the upper bound's read): a connection that stops
	// answering without closing (half-open) fails the run after this long
	// instead of holding the table until Timeout.
	PageTimeout time.Duration `koanf:"page_timeout"`
	// MergePages is how many full pages a run far behind merges in one
	// target transaction (staged apart from the table first, then merged
	// with the position of the last); 0 or 1: each page commits alone.
	// More sweeps the target's table once per group instead of once per
	// page: a catch-up of keys spread over a table larger than the
	// server's buffer pool is that much faster, and its rows show up
	// (and its position moves) a group at a time.
	MergePages int `koanf:"merge_pages"`
	// Queue is the Asynq queue the table's tasks go to; workers choose
	// the queues they serve (worker.queues), so a heavy table can get
	// workers of its own.
	Queue string `koanf:"queue"`
	// Deletes says what syncd reconcile does with a target row whose key
	// is gone from the source: DeletesDelete (the default), DeletesKeep or
	// DeletesMark (set Target.DeletedColumn to the time of the delete).
	Deletes string `koanf:"deletes"`
	// Reconcile, when set, is a schedule (as Schedule: cron or @every) on
	// which the scheduler enqueues a reconcile of the table (a task of its
	// own type, see queue); empty: only `syncd reconcile` reconciles it.
	Reconcile string `koanf:"reconcile"`
	// Runs says how long the run log keeps the table's runs.
	Runs Runs `koanf:"runs"`
	// Lookback is how far behind the stored cursor each run compares the
	// source with the target and writes again the rows that differ (late
	// commits); 0 turns it off. Only time cursors have one. Left out, it
	// is LookbackSettles times Settle.
	Lookback time.Duration `koanf:"lookback"`
	// Rate caps how many rows a second are read from the table's source,
	// across all its runs, parts and workers (held in Redis); 0, the
	// default, is unlimited.
	Rate int64 `koanf:"rate"`
	// Snapshot says how the first load (and --full) is split into parts.
	Snapshot Snapshot `koanf:"snapshot"`

	// File is the path the declaration was loaded from; every validation
	// message starts with it. Not read from YAML.
	File string `koanf:"-"`
}

// Source says which rows to read. Exactly one of Table and Query is set.
type Source struct {
	Connection string   `koanf:"connection"`
	Table      string   `koanf:"table"`
	Query      string   `koanf:"query"`
	Key        []string `koanf:"key"`
	Cursor     string   `koanf:"cursor"`
	Where      string   `koanf:"where"`
	// CursorClock names the clock that fills the cursor column, and so the
	// clock the upper bound of a run is read from: "local" (the source
	// server's own wall clock, the default) or "utc".
	CursorClock string `koanf:"cursor_clock"`
	// DeletedWhen is an SQL condition on the source's columns (trusted
	// SQL, like Where) that marks a row deleted in the source (a soft
	// delete): a run deletes such a row from the target, or marks it
	// (deletes: mark), instead of writing it.
	DeletedWhen string `koanf:"deleted_when"`
}

// Target says where the rows go. Columns maps a target column to the source
// column it takes its value from; when empty, every source column goes to
// the target column of the same name.
type Target struct {
	Connection string            `koanf:"connection"`
	Table      string            `koanf:"table"`
	Columns    map[string]string `koanf:"columns"`
	// Create has the first run create the target table from the source's
	// catalog when it does not exist (syncd plan prints the statement). An
	// existing table is never changed by it.
	Create bool `koanf:"create"`
	// Evolve says what a run does when a source column in use appears that
	// the target lacks: EvolveNone (stop and say so, the default) or
	// EvolveAddColumns (add it to the target). A removed or retyped column
	// stops the table either way.
	Evolve string `koanf:"evolve"`
	// DeletedColumn is the target column (a nullable DATETIME, not one of
	// the mapped columns) that deletes: mark sets to the time a row was
	// found deleted in the source.
	DeletedColumn string `koanf:"deleted_column"`
}

// Values of Table.Deletes.
const (
	DeletesDelete = "delete"
	DeletesKeep   = "keep"
	DeletesMark   = "mark"
)

// Runs are the settings of a table's run log.
type Runs struct {
	// Keep is how long a run stays in the run log after it started; older
	// ones are pruned in the background (the table's newest run and
	// newest successful run stay, and so does a run still under way).
	Keep time.Duration `koanf:"keep"`
}

// Values of Target.Evolve.
const (
	EvolveNone       = "none"
	EvolveAddColumns = "add_columns"
)

// Values of Table.OnBadRows.
const (
	OnBadRowsReject = "reject"
	OnBadRowsFail   = "fail"
)

// Values of Source.CursorClock.
const (
	ClockLocal = "local"
	ClockUTC   = "utc"
)

// Defaults and limits of a declaration. DefaultBatchSize is what a first
// load of a million rows into MariaDB did best with (docs/benchmarks.md):
// fewer, larger page transactions, at about 50 MiB of memory.
const (
	DefaultBatchSize = 10000
	MinBatchSize     = 1
	MaxBatchSize     = 100000
	// MaxMergePages bounds merge_pages: a group is one transaction, whose
	// locks and undo grow with it.
	MaxMergePages   = 100
	DefaultSettle   = 5 * time.Second
	DefaultSchedule = "@every 1m"
	DefaultTimeout  = 30 * time.Minute
	// DefaultPageTimeout is far beyond what a page of MaxBatchSize rows
	// takes on a busy server, and far below Timeout.
	DefaultPageTimeout = 10 * time.Minute
	DefaultRunsKeep    = 30 * 24 * time.Hour
	// LookbackSettles is the default lookback in multiples of settle: a
	// commit late by up to three times settle is repaired by the next run.
	LookbackSettles = 3
	MinRunsKeep     = time.Hour
)

// IsQuery reports whether the source is a SELECT used as a derived table
// rather than a named table.
func (s Source) IsQuery() bool { return s.Query != "" }
