package mysqltarget

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// A group of pages (merge_pages): each page is streamed with LOAD DATA
// LOCAL into a temporary staging table on a connection the group holds
// for the run, outside any transaction, and checked as the page's stage
// is (every row loaded, no warning). Neither the table nor the position
// is touched until Merge: one transaction that merges the whole stage in
// key order and moves the position. A crash while pages are staged loses
// the temporary table with its session and nothing else.
//
// The stage is InnoDB: a group outgrows MEMORY's max_heap_table_size
// (16 MiB by default) after a few pages. InnoDB's temporary tables keep
// no redo log, so filling one costs little more.

var _ datasync.Grouper = (*Target)(nil)

// pageColumn numbers each staged row's page, so that a key staged twice
// (changed again while the run read) is merged in the order it was read.
const pageColumn = "`syncd_page`"

// group is a datasync.Group on one connection of the target's pool.
type group struct {
	t     *Target
	conn  *sql.Conn
	stage string
	made  bool
	// dirty says the stage holds rows of a merged group, which the next
	// Add clears first.
	dirty bool
	pages int
	rows  int64
}

// OpenGroup implements datasync.Grouper. It returns no group when the
// staged path is off (the server refused it, or NoStage) or the table
// marks deletes (clearing marks needs the rows, which a group no longer
// holds).
func (t *Target) OpenGroup(ctx context.Context) (datasync.Group, error) {
	if t.noStage.Load() || t.markCol != "" {
		return nil, nil
	}
	conn, err := t.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connection for staging pages of %s: %w", t.ident, err)
	}
	return &group{t: t, conn: conn, stage: groupStageName(t.ident)}, nil
}

// groupStageName is the group's staging table: a name of its own beside
// the page's stage, on the group's session only.
func groupStageName(target tables.Ident) string { return tempName(target, "syncd_group_") }

// Add implements datasync.Group.
func (g *group) Add(ctx context.Context, p datasync.Prepared) (bool, error) {
	pp := p.(*prepared)
	if !pp.encoded || len(pp.rows) == 0 || g.t.noStage.Load() {
		return false, nil
	}
	if err := g.ready(ctx); err != nil {
		return false, err
	}
	page := g.pages + 1
	// The page number is syncd's own counter, not a row's value; LOAD
	// DATA takes no parameter in its SET clause.
	set := " SET " + pageColumn + " = " + strconv.Itoa(page)
	loaded, warnings, err := g.t.loadInto(ctx, g.conn, g.stage, strings.Join(g.t.cols, ", "), set, pp.data)
	if err == nil && loaded == int64(len(pp.rows)) && warnings == 0 {
		g.pages, g.rows = page, g.rows+loaded
		return true, nil
	}
	if err != nil && localInfileRefused(err) {
		g.t.noStage.Store(true)
	}
	var me *gomysql.MySQLError
	if err != nil && !errors.As(err, &me) {
		return false, fmt.Errorf("stage %d rows for %s: %w", len(pp.rows), g.t.ident, err)
	}
	// Refused or short: what the page left in the stage goes, and the
	// page is written by itself, where a bad row is found and named.
	if _, err := g.conn.ExecContext(ctx, "DELETE FROM "+g.stage+" WHERE "+pageColumn+" = ?", page); err != nil {
		return false, fmt.Errorf("clear a refused page from the stage of %s: %w", g.t.ident, err)
	}
	return false, nil
}

// ready makes the stage, with the target's current columns and the page
// column, or empties it after a merge.
func (g *group) ready(ctx context.Context) error {
	var stmts []string
	switch {
	case !g.made:
		stmts = []string{
			"DROP TEMPORARY TABLE IF EXISTS " + g.stage,
			"CREATE TEMPORARY TABLE " + g.stage + " ENGINE=InnoDB AS SELECT " + strings.Join(g.t.cols, ", ") +
				", 0 AS " + pageColumn + " FROM " + g.t.table + " WHERE 1=0",
		}
	case g.dirty:
		stmts = []string{"TRUNCATE TABLE " + g.stage}
	}
	for _, q := range stmts {
		if _, err := g.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("ready the stage of %s: %w", g.t.ident, err)
		}
	}
	g.made, g.dirty = true, false
	return nil
}

// Merge implements datasync.Group: the whole stage merged and the
// position moved in one transaction, retried whole on a deadlock or lock
// wait timeout.
func (g *group) Merge(ctx context.Context, st datasync.State, pos datasync.Position) (datasync.WriteStats, error) {
	defer func() { g.dirty, g.pages, g.rows = true, 0, 0 }()
	for attempt := 0; ; attempt++ {
		ws, err := g.mergeOnce(ctx, st, pos)
		if isDataError(err) {
			return ws, fmt.Errorf("%w: %w", datasync.ErrGroupRefused, err)
		}
		if err == nil || !retryable(err) || attempt >= g.t.retries {
			return ws, err
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return ws, err
		}
	}
}

func (g *group) mergeOnce(ctx context.Context, st datasync.State, pos datasync.Position) (datasync.WriteStats, error) {
	tx, err := g.conn.BeginTx(ctx, nil)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	ws, _, err := g.t.merge(ctx, tx, g.stage, pageColumn, int(g.rows))
	if err != nil {
		return ws, err
	}
	// A group holds no deleted_when rows and no marks (those tables go page
	// by page), so only the position moves, with the group's counts: its
	// pages and rows, durable with them for a run killed later.
	added := state.Added{Pages: int64(g.pages), Read: g.rows, WriteStats: ws}
	if err := g.t.store.MoveState(ctx, tx, st.Table, st.Version, pos, added); err != nil {
		return ws, err
	}
	if err := commit(ctx, tx); err != nil {
		return ws, err
	}
	g.t.groupMerges.Add(1)
	return ws, nil
}

// Close implements datasync.Group: the stage is dropped (it would go with
// the session, but the connection goes back to the pool) and the
// connection given back.
func (g *group) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if g.made {
		_, err = g.conn.ExecContext(ctx, "DROP TEMPORARY TABLE IF EXISTS "+g.stage)
	}
	return errors.Join(err, g.conn.Close())
}
