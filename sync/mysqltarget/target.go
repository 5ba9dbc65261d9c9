// Package mysqltarget is syncd's target writer: it writes a table's pages
// into MySQL or MariaDB (upsert, staged load, bad rows, DDL) and keeps the
// table's position in the page's transaction through the state store
// (sync/state). Reading MySQL as a source is sync/mysql's.
package mysqltarget

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// TargetOptions say which table a Target writes and how its rows are laid
// out.
type TargetOptions struct {
	// Table is the target table, validated.
	Table tables.Ident
	// Columns are the target columns in the order of every row written.
	Columns []string
	// Key are the primary-key columns among Columns.
	Key []string
	// Retries is how many times a page is tried again after a deadlock or a
	// lock wait timeout (default 5).
	Retries int
	// OnBadRows is what to do with rows the target refuses: reject (keep
	// them as rejects and go on, the default) or fail.
	OnBadRows string
	// NoStage turns off the staged write path (LOAD DATA LOCAL into a
	// temporary table, then one merge) and upserts every page with
	// prepared multi-row statements.
	NoStage bool
	// SchemaReady says the state tables were already created or upgraded
	// by this process (state.Store.Ensure), so NewTarget does not check again.
	SchemaReady bool
	// DeletedColumn is the column deletes: mark sets (empty otherwise):
	// rows the source deletes are marked instead of deleted, and every
	// row a page writes has its mark cleared (it is back in the source).
	DeletedColumn string
}

// Target writes one table in MySQL or MariaDB and keeps syncd's state
// tables in the same database.
type Target struct {
	db        *sql.DB
	store     *state.Store
	table     string
	ident     tables.Ident
	cols      []string // quoted
	names     []string // as declared
	key       []int
	keyCols   []string
	syntax    upsertSyntax
	maxPacket int
	retries   int
	onBadRows string
	markCol   string // quoted DeletedColumn, or empty

	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	// noStage is set when the staged path is off or the server refused it;
	// stageOnDisk when MEMORY cannot hold the target's columns.
	noStage, stageOnDisk atomic.Bool
	// stagedPages counts the pages the staged path wrote, which tells a
	// test (or a debugger) that a page did not fall back to the upsert.
	stagedPages atomic.Int64
	// groupMerges counts the groups of pages merged (merge_pages).
	groupMerges atomic.Int64
	direct
}

// NewTarget prepares writing to db: it creates or upgrades the state
// tables, reads the server's version to choose the upsert syntax and its
// max_allowed_packet to size statements. It does not take ownership of db.
func NewTarget(ctx context.Context, db *sql.DB, o TargetOptions) (*Target, error) {
	t := &Target{db: db, store: state.New(db), ident: o.Table, table: o.Table.Backticked(), retries: o.Retries, onBadRows: o.OnBadRows, stmts: map[string]*sql.Stmt{}}
	if t.retries == 0 {
		t.retries = 5
	}
	t.noStage.Store(o.NoStage)
	if o.DeletedColumn != "" {
		t.markCol = quoteColumn(o.DeletedColumn)
	}
	if err := t.layout(o); err != nil {
		return nil, err
	}
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@max_allowed_packet").Scan(&version, &t.maxPacket); err != nil {
		return nil, fmt.Errorf("target %s: read server version: %w", o.Table, err)
	}
	t.syntax = syntaxFor(version)
	if o.SchemaReady {
		return t, nil
	}
	if err := t.store.Ensure(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Target) layout(o TargetOptions) error {
	if len(o.Columns) == 0 || len(o.Key) == 0 {
		return fmt.Errorf("target %s: no columns or no key", o.Table)
	}
	pos := make(map[string]int, len(o.Columns))
	for i, c := range o.Columns {
		t.cols = append(t.cols, quoteColumn(c))
		t.names = append(t.names, c)
		pos[strings.ToLower(c)] = i
	}
	for _, k := range o.Key {
		i, ok := pos[strings.ToLower(k)]
		if !ok {
			return fmt.Errorf("target %s: key column %s is not among the columns written", o.Table, k)
		}
		t.key = append(t.key, i)
		t.keyCols = append(t.keyCols, t.cols[i])
	}
	return nil
}

func quoteColumn(name string) string {
	return tables.Ident{Parts: []string{name}}.Backticked()
}

// Claim implements datasync.Target.
func (t *Target) Claim(ctx context.Context, table string) (datasync.State, error) {
	return t.store.Claim(ctx, table)
}

// WritePage implements datasync.Target. Rows are written in key order, the
// same order in every writer, so that two writers of overlapping keys wait
// on each other rather than deadlock.
func (t *Target) WritePage(ctx context.Context, st datasync.State, rows []datasync.Row, pos datasync.Position) (datasync.WriteStats, error) {
	return t.WritePrepared(ctx, st, t.Prepare(rows), pos)
}

// WritePrepared implements datasync.Preparer: WritePage of a page that
// Prepare readied.
func (t *Target) WritePrepared(ctx context.Context, st datasync.State, prep datasync.Prepared, pos datasync.Position) (datasync.WriteStats, error) {
	return t.writePrepared(ctx, st, prep.(*prepared), nil, pos)
}

// writePrepared writes a prepared page, deletes (or marks) the rows of
// gone, and moves the position, in one transaction, retried whole on a
// deadlock or lock wait timeout.
func (t *Target) writePrepared(ctx context.Context, st datasync.State, p *prepared, gone [][]any, pos datasync.Position) (datasync.WriteStats, error) {
	for attempt := 0; ; attempt++ {
		ws, err := t.writeOnce(ctx, st, p, gone, pos)
		if isDataError(err) {
			// Rare: only now is the page written again row group by row
			// group to find the rows at fault.
			ws, err = t.writeIsolating(ctx, st, p.rows, gone, pos)
		}
		if err == nil || !retryable(err) || attempt >= t.retries {
			return ws, err
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return ws, err
		}
	}
}

func (t *Target) writeOnce(ctx context.Context, st datasync.State, p *prepared, gone [][]any, pos datasync.Position) (datasync.WriteStats, error) {
	rows := p.rows
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var ws datasync.WriteStats
	if len(rows) > 0 {
		// A page that also deletes rows (source.deleted_when) takes the
		// merge: the direct load's checks cover inserts only.
		direct := len(gone) == 0 && t.directFits(st)
		var loaded bool
		if ws, loaded, err = t.writeRowsIn(ctx, tx, p, direct); err != nil {
			return ws, err
		}
		if direct {
			t.directMissed(st, loaded)
		}
	}
	if err := t.endPage(ctx, tx, st, rows, gone, pos, &ws); err != nil {
		return ws, err
	}
	return ws, commit(ctx, tx)
}

// upsert writes rows with prepared multi-row upserts.
func (t *Target) upsert(ctx context.Context, tx *sql.Tx, rows []datasync.Row) (datasync.WriteStats, error) {
	var ws datasync.WriteStats
	for _, c := range chunks(asAny(rows), len(t.cols), t.maxPacket) {
		cs, err := t.writeChunk(ctx, tx, c)
		if err != nil {
			return ws, err
		}
		ws = ws.Add(cs)
	}
	return ws, nil
}

// writeChunk counts the chunk's keys that exist, then upserts it.
func (t *Target) writeChunk(ctx context.Context, tx *sql.Tx, rows [][]any) (datasync.WriteStats, error) {
	n := len(rows)
	count, err := t.stmt(ctx, tx, "count", n, func() string { return countSQL(t.table, t.keyCols, n) })
	if err != nil {
		return datasync.WriteStats{}, err
	}
	keyArgs := make([]any, 0, n*len(t.key))
	args := make([]any, 0, n*len(t.cols))
	for _, r := range rows {
		for _, k := range t.key {
			keyArgs = append(keyArgs, arg(r[k]))
		}
		for _, v := range r {
			args = append(args, arg(v))
		}
	}
	var existed int64
	if err := count.QueryRowContext(ctx, keyArgs...).Scan(&existed); err != nil {
		return datasync.WriteStats{}, fmt.Errorf("count existing keys in %s: %w", t.ident, err)
	}
	up, err := t.stmt(ctx, tx, "upsert", n, func() string { return upsertSQL(t.table, t.cols, t.key, n, t.syntax) })
	if err != nil {
		return datasync.WriteStats{}, err
	}
	res, err := up.ExecContext(ctx, args...)
	if err != nil {
		return datasync.WriteStats{}, fmt.Errorf("upsert %d rows into %s: %w", n, t.ident, err)
	}
	affected, err := res.RowsAffected()
	if err != nil {
		return datasync.WriteStats{}, err
	}
	ins, upd, unch := splitStats(int64(n), existed, affected)
	return datasync.WriteStats{Inserted: ins, Updated: upd, Unchanged: unch}, nil
}

// arg is a row value as a statement parameter. The zero time.Time is
// 0001-01-01 00:00:00, a real value (SQL Server's date and datetime2 start
// there, and ERPs use it for "no date"), but go-sql-driver sends it as
// MySQL's zero date '0000-00-00', which is another value, and which MySQL
// 8's default sql_mode (NO_ZERO_DATE, strict) refuses; its text goes
// instead.
func arg(v any) any {
	if t, ok := v.(time.Time); ok && t.IsZero() {
		return "0001-01-01"
	}
	return v
}

// maxStmts bounds the prepared statements a Target keeps; full chunks all
// share one size, so a handful covers a run.
const maxStmts = 8

// stmt returns the server-side prepared statement of a kind for n rows,
// bound to tx. Preparing once per size instead of once per page saves a
// round trip and the server's parse of a statement of thousands of markers.
func (t *Target) stmt(ctx context.Context, tx *sql.Tx, kind string, n int, text func() string) (*sql.Stmt, error) {
	name := fmt.Sprintf("%s/%d", kind, n)
	t.mu.Lock()
	s, ok := t.stmts[name]
	if !ok {
		if len(t.stmts) >= maxStmts {
			t.closeStmtsLocked()
		}
		var err error
		if s, err = t.db.PrepareContext(ctx, text()); err != nil {
			t.mu.Unlock()
			return nil, fmt.Errorf("prepare %s of %d rows into %s: %w", kind, n, t.ident, err)
		}
		t.stmts[name] = s
	}
	t.mu.Unlock()
	return tx.StmtContext(ctx, s), nil
}

func (t *Target) closeStmtsLocked() {
	for name, s := range t.stmts {
		s.Close()
		delete(t.stmts, name)
	}
}

// Close releases the prepared statements; the pool belongs to the caller.
func (t *Target) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeStmtsLocked()
	return nil
}

func (t *Target) compareKeys(a, b datasync.Row) int {
	for _, k := range t.key {
		if c := compareValues(a[k], b[k]); c != 0 {
			return c
		}
	}
	return 0
}

// compareValues orders portable values; values of different types (which
// one key column never holds) order by type name.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y)
		}
	case uint64:
		if y, ok := b.(uint64); ok {
			return cmpOrdered(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmpOrdered(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case nil:
		if b == nil {
			return 0
		}
		return -1
	}
	return strings.Compare(fmt.Sprintf("%T", a), fmt.Sprintf("%T", b))
}

func cmpOrdered[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asAny(rows []datasync.Row) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

// retryable reports a deadlock (1213) or lock wait timeout (1205): the
// server rolled back (part of) the transaction, and the whole page, rows
// and position together, is tried again.
func retryable(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// backoff is exponential with full jitter, from 50 ms.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << attempt
	return time.Duration(rand.Int64N(int64(d))) + d/2
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
