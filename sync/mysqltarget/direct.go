package mysqltarget

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	gomysql "github.com/go-sql-driver/mysql"
	datasync "github.com/syncd/syncd/sync"
)

// The direct load: a page whose keys fall in a range of the target that
// holds no rows yet (a first load into an empty table, a fresh snapshot
// part) is streamed with LOAD DATA LOCAL straight into the target table,
// one pass on the server instead of the stage's two. DESIGN allows it only
// under the check below, because LOAD DATA LOCAL skips a duplicate key and
// turns a refused value into a warning instead of failing: under a
// savepoint, the server must report exactly as many rows inserted as sent
// and no warning at all; anything else is rolled back to the savepoint and
// the page goes through the staged merge (and, on a refused value, the
// bad-row bisection) as any other page.

// directSavepoint is the savepoint a direct load is undone to.
const directSavepoint = "syncd_direct"

// direct is what a Target keeps of its direct loads.
type direct struct {
	// directPages and directMisses count the pages the direct load wrote
	// and those it rolled back.
	directPages, directMisses atomic.Int64
	// directOff is the fencing version of the run whose direct load
	// missed: its later pages skip the attempt.
	directOff atomic.Int64
}

// writeRowsIn writes a prepared page's rows in tx, the one way both a
// run's page and a snapshot part's page take: loaded straight into the
// target when direct says to try (checked, and undone on any miss), else
// merged through the stage, else upserted. loaded says the direct load
// took them.
func (t *Target) writeRowsIn(ctx context.Context, tx *sql.Tx, p *prepared, direct bool) (ws datasync.WriteStats, loaded bool, err error) {
	if direct && !t.noStage.Load() {
		if loaded, err = t.loadEncoded(ctx, tx, len(p.rows), p.data, p.encoded); err != nil || loaded {
			if loaded {
				ws.Inserted = int64(len(p.rows))
			}
			return ws, loaded, err
		}
	}
	if !t.noStage.Load() {
		staged := false
		if ws, staged, err = t.writeStagedData(ctx, tx, p.rows, p.data, p.encoded); err != nil || staged {
			return ws, false, err
		}
	}
	ws, err = t.upsert(ctx, tx, p.rows)
	return ws, false, err
}

// directFits says whether a page of the run holding st tries the direct
// load: in an initial load (the table's keys are all new to the target
// unless the target was filled by other means), while no page of the run
// has missed. The check in loadDirect, not this guess, is what makes it
// safe.
func (t *Target) directFits(st datasync.State) bool {
	return st.Position.IsZero() && !t.noStage.Load() && t.directOff.Load() != st.Version
}

// directMissed stops the direct load for the rest of the run after a
// page that it could not load: the target holds rows in the keys being
// written (a --full over a filled table), and every try would be undone.
func (t *Target) directMissed(st datasync.State, loaded bool) {
	if !loaded {
		t.directOff.Store(st.Version)
	}
}

// loadDirect loads rows, sorted by key, into the target table inside tx.
// ok is false when nothing of the page is left in the table and the caller
// must write it another way; err is set only for failures that leave tx
// unusable (the savepoint itself, a lost connection).
func (t *Target) loadDirect(ctx context.Context, tx *sql.Tx, rows []datasync.Row) (ok bool, err error) {
	if len(rows) == 0 {
		return true, nil
	}
	data, encoded := encodeRows(rows)
	return t.loadEncoded(ctx, tx, len(rows), data, encoded)
}

// loadEncoded is loadDirect of n rows already encoded.
func (t *Target) loadEncoded(ctx context.Context, tx *sql.Tx, n int, data []byte, encoded bool) (ok bool, err error) {
	if !encoded {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+directSavepoint); err != nil {
		return false, fmt.Errorf("savepoint before loading %d rows into %s: %w", n, t.ident, err)
	}
	loaded, warnings, err := t.loadInto(ctx, tx, t.table, strings.Join(t.cols, ", "), "", data)
	if err != nil {
		if retryable(err) {
			// The server rolled the transaction back: the page is retried.
			return false, fmt.Errorf("load %d rows into %s: %w", n, t.ident, err)
		}
		if localInfileRefused(err) {
			t.noStage.Store(true)
		}
		return false, t.undoDirect(ctx, tx)
	}
	if loaded != int64(n) || warnings != 0 {
		return false, t.undoDirect(ctx, tx)
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+directSavepoint); err != nil {
		return false, fmt.Errorf("release savepoint after loading %d rows into %s: %w", n, t.ident, err)
	}
	t.directPages.Add(1)
	return true, nil
}

// prepared is a page readied for writing: its rows in key order, one per
// key, and their LOAD DATA stream (encoded is false when a value cannot
// travel in it).
type prepared struct {
	rows    []datasync.Row
	data    []byte
	encoded bool
}

// Len implements datasync.Prepared.
func (p *prepared) Len() int { return len(p.rows) }

// Prepare implements datasync.Preparer: the page sorted by key and
// encoded for LOAD DATA, which a run does while the page before is
// written. Encoding is skipped when no LOAD DATA path is open.
func (t *Target) Prepare(rows []datasync.Row) datasync.Prepared {
	p := &prepared{rows: t.sortByKey(rows)}
	if !t.noStage.Load() {
		p.data, p.encoded = encodeRows(p.rows)
	}
	return p
}

// undoDirect rolls the table back to before the direct load; an error
// here (a connection gone) leaves the transaction unusable.
func (t *Target) undoDirect(ctx context.Context, tx *sql.Tx) error {
	t.directMisses.Add(1)
	if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+directSavepoint); err != nil {
		return fmt.Errorf("roll back a refused direct load into %s: %w", t.ident, err)
	}
	return nil
}

// querier is a transaction or a connection of its own: a group's stage
// is filled outside any transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// loadInto streams data into table and returns the rows the server
// inserted and the warnings it raised (the count SHOW WARNINGS lists).
// set, when not empty, is a SET clause for columns the stream lacks.
func (t *Target) loadInto(ctx context.Context, tx querier, table, cols, set string, data []byte) (loaded, warnings int64, err error) {
	name := "syncd_" + strconv.FormatUint(readerSeq.Add(1), 10)
	gomysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(data) })
	defer gomysql.DeregisterReaderHandler(name)
	// The file name is our reader's generated name, not a value: LOAD DATA
	// takes no parameter for it. The rows themselves travel in the stream.
	res, err := tx.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' INTO TABLE "+table+
		" CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ("+cols+")"+set)
	if err != nil {
		return 0, 0, err
	}
	if loaded, err = res.RowsAffected(); err != nil {
		return 0, 0, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&warnings); err != nil {
		return 0, 0, err
	}
	return loaded, warnings, nil
}
