// Package connect opens what a declared table needs: the source of its
// dialect, the MySQL target, and the mapping between them. It is the one
// place that knows which dialect serves which driver.
package connect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Pools keeps one connection pool per named connection for the life of a
// process, shared by every table that uses it.
type Pools struct {
	cfg *tables.Config

	mu  sync.Mutex
	dbs map[string]*sql.DB
}

// NewPools returns the pools of the connections in cfg; none is opened
// before it is asked for.
func NewPools(cfg *tables.Config) *Pools {
	return &Pools{cfg: cfg, dbs: map[string]*sql.DB{}}
}

// DB returns the pool of the connection called name, opening and pinging
// it the first time. Errors never hold the DSN's password.
func (p *Pools) DB(ctx context.Context, name string) (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if db, ok := p.dbs[name]; ok {
		return db, nil
	}
	c, ok := p.cfg.Connections[name]
	if !ok {
		return nil, fmt.Errorf("connection %s is not declared in %s", name, p.cfg.File)
	}
	db, err := openDB(c)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, fmt.Errorf("connect to %s (%s): %w", name, tables.RedactDSN(c.DSN), tables.Scrub(err, c.DSN))
	}
	keepIdle(db, p.cfg.Worker.Concurrency)
	p.dbs[name] = db
	return db, nil
}

// keepIdle keeps enough idle connections for every table a worker syncs
// at once (a run holds one to the source and one or two to the target)
// and for the status page's reads; database/sql keeps two, and every
// connection above them would be closed after each use and opened again
// at the next run: a new server session (a process, for PostgreSQL) and
// its set-up statements each time. Idle ones go after five minutes.
func keepIdle(db *sql.DB, concurrency int) {
	db.SetMaxIdleConns(max(8, 2*concurrency))
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// Close closes every pool opened.
func (p *Pools) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, db := range p.dbs {
		state.ForgetStatements(db)
		db.Close()
		delete(p.dbs, name)
	}
	return nil
}

func openDB(c tables.Connection) (*sql.DB, error) {
	d, err := sourceDriver(c.Driver)
	if err != nil {
		return nil, err
	}
	return d.Open(c)
}

// Dialect returns the source dialect of a driver.
func Dialect(driver string) (datasync.Dialect, error) {
	d, err := sourceDriver(driver)
	if err != nil {
		return nil, err
	}
	return d.Dialect, nil
}

// Job is everything one run of a table needs.
type Job struct {
	Table   tables.Table
	Source  *datasync.SQLSource
	Target  *mysqltarget.Target
	Mapping datasync.Mapping
	// Created is true when Open created the target table (target.create).
	Created bool
	// Current is the target table read as a source, for the lookback;
	// nil when the table has none (lookback: 0) or no target table yet.
	Current *datasync.SQLSource
}

// Open prepares a run of t: it opens (or reuses) both connections, learns
// the source's columns, creates the target table when target.create asks
// for it and it is missing, refuses a target whose keys do not fit the
// mapping (an error matching datasync.ErrDeclaration), and builds the
// mapping and the target.
func Open(ctx context.Context, p *Pools, t tables.Table) (*Job, error) {
	return open(ctx, p, t, false)
}

// open is Open; schemaReady says the state tables of t's target were
// already ensured by this process.
func open(ctx context.Context, p *Pools, t tables.Table, schemaReady bool) (*Job, error) {
	created, err := createTarget(ctx, p, t)
	if err != nil {
		return nil, err
	}
	src, err := OpenSource(ctx, p, t)
	if err != nil {
		return nil, removedColumns(ctx, p, t, err)
	}
	m, err := datasync.NewMapping(t, src.Columns())
	if err != nil {
		return nil, err
	}
	exists, err := targetKeys(ctx, p, t, m)
	if err != nil {
		return nil, err
	}
	tgt, err := openTarget(ctx, p, t, m, schemaReady)
	if err != nil {
		return nil, err
	}
	job := &Job{Table: t, Source: src, Target: tgt, Mapping: m, Created: created}
	if exists && t.Lookback > 0 {
		if job.Current, err = targetAsSource(ctx, p, t, m, unmarked(t)); err != nil {
			return nil, err
		}
	}
	return job, nil
}

// targetKeys refuses a target table whose primary key is not the mapped
// key, or that has another UNIQUE key: the rules check --connect applies.
// A missing table is left to the write, which names it.
func targetKeys(ctx context.Context, p *Pools, t tables.Table, m datasync.Mapping) (exists bool, err error) {
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return false, err
	}
	info, err := mysql.Describe(ctx, db, id)
	if err != nil {
		return false, fmt.Errorf("%s: describe target %s: %w", t.Name, t.Target.Table, err)
	}
	if len(info.Columns) == 0 {
		return false, nil
	}
	return true, datasync.CheckTargetKeys(t, m, info)
}

// OpenSource opens the source of t.
func OpenSource(ctx context.Context, p *Pools, t tables.Table) (*datasync.SQLSource, error) {
	db, err := p.DB(ctx, t.Source.Connection)
	if err != nil {
		return nil, err
	}
	drv, err := sourceDriver(p.cfg.Connections[t.Source.Connection].Driver)
	if err != nil {
		return nil, err
	}
	d := drv.Dialect
	if drv.DialectOf != nil {
		if d, err = drv.DialectOf(ctx, db); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	return datasync.NewSQLSource(ctx, db, d, t)
}

// OpenTarget opens the target of t for the columns of m.
func OpenTarget(ctx context.Context, p *Pools, t tables.Table, m datasync.Mapping) (*mysqltarget.Target, error) {
	return openTarget(ctx, p, t, m, false)
}

func openTarget(ctx context.Context, p *Pools, t tables.Table, m datasync.Mapping, schemaReady bool) (*mysqltarget.Target, error) {
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return nil, err
	}
	o := mysqltarget.TargetOptions{Table: id, Columns: m.Columns, Key: m.Key, OnBadRows: t.OnBadRows, SchemaReady: schemaReady}
	if t.Deletes == tables.DeletesMark {
		o.DeletedColumn = t.Target.DeletedColumn
	}
	return mysqltarget.NewTarget(ctx, db, o)
}

// Store returns the state store of t's target connection, its state
// tables created or upgraded on first use.
func Store(ctx context.Context, p *Pools, t tables.Table) (*state.Store, error) {
	db, err := StateDB(ctx, p, t)
	if err != nil {
		return nil, err
	}
	return state.New(db), nil
}

// StateDB returns the pool of t's target connection with syncd's state
// tables in it (created or upgraded on first use).
func StateDB(ctx context.Context, p *Pools, t tables.Table) (*sql.DB, error) {
	db, err := p.DB(ctx, t.Target.Connection)
	if err != nil {
		return nil, err
	}
	return db, state.New(db).Ensure(ctx)
}

// targetDB returns the pool of t's target connection and its table.
func targetDB(ctx context.Context, p *Pools, t tables.Table) (*sql.DB, tables.Ident, error) {
	db, err := p.DB(ctx, t.Target.Connection)
	if err != nil {
		return nil, tables.Ident{}, err
	}
	id, err := tables.ParseIdent(t.Target.Table, 2)
	if err != nil {
		return nil, tables.Ident{}, fmt.Errorf("%s: target.table: %w", t.Name, err)
	}
	return db, id, nil
}

// removedColumns turns err, when it says that columns the declaration names
// are missing from the source and the last run read them, into the schema
// drift it is: the error names each column and the type it had.
func removedColumns(ctx context.Context, p *Pools, t tables.Table, err error) error {
	var mce *datasync.MissingColumnsError
	if !errors.As(err, &mce) {
		return err
	}
	db, _, terr := targetDB(ctx, p, t)
	if terr != nil {
		return err
	}
	seen, serr := state.New(db).SeenColumns(ctx, t.Name)
	if serr != nil || seen == nil {
		return err
	}
	var d datasync.Drift
	idx := datasync.ColumnIndex(columnsOf(seen))
	for _, name := range mce.Missing {
		if i, ok := idx.Find(name); ok {
			d.Removed = append(d.Removed, seen[i])
		}
	}
	if d.Empty() {
		return err
	}
	return fmt.Errorf("%s: %w: %s from %s: nothing was written; take it out of target.columns (the target keeps its column), or restore it in the source",
		t.Name, datasync.ErrSchemaChanged, d, mce.Source)
}

func columnsOf(infos []datasync.ColumnInfo) []datasync.Column {
	cols := make([]datasync.Column, len(infos))
	for i, c := range infos {
		cols[i] = datasync.Column{Name: c.Name, DatabaseType: c.Type}
	}
	return cols
}

// RecordFailure writes err, which stopped t before a run began, into the
// run log of t's target as a failed run at when. A target that cannot be
// reached cannot keep it: the error saying so is returned, and status
// shows that target's problem instead.
func RecordFailure(ctx context.Context, p *Pools, t tables.Table, trigger string, when time.Time, err error) error {
	db, serr := StateDB(ctx, p, t)
	if serr != nil {
		return serr
	}
	return state.New(db).RecordFailure(ctx, t.Name, trigger, when, err.Error(), Permanent(err))
}

// Run runs t once with everything opened from p.
func (j *Job) Run(ctx context.Context, o datasync.Options) (datasync.RunRecord, error) {
	o.Table, o.Source, o.Target, o.Mapping, o.Current = j.Table, j.Source, j.Target, j.Mapping, j.Current
	return datasync.Run(ctx, o)
}

// Close releases the job's prepared statements; the pools stay open.
func (j *Job) Close() error { return j.Target.Close() }
