package mysqltarget

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

var _ datasync.SnapshotTarget = (*Target)(nil)

// StartSnapshot implements datasync.SnapshotTarget (in the state store).
func (t *Target) StartSnapshot(ctx context.Context, table string, bound any, splits [][]any) (datasync.Snapshot, error) {
	return t.store.StartSnapshot(ctx, table, bound, splits)
}

// ClaimPart implements datasync.SnapshotTarget (in the state store).
func (t *Target) ClaimPart(ctx context.Context, table string, gen int64, part int) (datasync.PartState, error) {
	return t.store.ClaimPart(ctx, table, gen, part)
}

// FinishPart implements datasync.SnapshotTarget (in the state store).
func (t *Target) FinishPart(ctx context.Context, ps datasync.PartState) (datasync.Snapshot, error) {
	return t.store.FinishPart(ctx, ps)
}

// WritePart implements datasync.PartWriter. Rows go through the same path
// as a run's pages (the staged merge, or the upsert, and the bad-row
// split), in key order; the part's last key moves in the same
// transaction. A page of a fresh part is first loaded directly into the
// target (loadDirect), and takes the merge only when that load is undone.
func (t *Target) WritePart(ctx context.Context, ps datasync.PartState, rows []datasync.Row, last []any, fresh bool) (datasync.WriteStats, error) {
	return t.WritePreparedPart(ctx, ps, t.Prepare(rows), last, fresh)
}

// WritePreparedPart implements datasync.PartPreparer: WritePart of a page
// that Prepare readied.
func (t *Target) WritePreparedPart(ctx context.Context, ps datasync.PartState, prep datasync.Prepared, last []any, fresh bool) (datasync.WriteStats, error) {
	p := prep.(*prepared)
	rows := p.rows
	lastText, err := datasync.EncodeKey(last)
	if err != nil {
		return datasync.WriteStats{}, fmt.Errorf("last key of snapshot part %d of %s: %w", ps.Part+1, ps.Table, err)
	}
	mark := func(ctx context.Context, tx *sql.Tx) error { return t.store.MarkPart(ctx, tx, ps, lastText, len(rows)) }
	for attempt := 0; ; attempt++ {
		ws, err := t.writePartOnce(ctx, ps, p, fresh, mark)
		if isDataError(err) {
			ws, err = t.writePartIsolating(ctx, ps, rows, mark)
		}
		if err == nil || !retryable(err) || attempt >= t.retries {
			return ws, err
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return ws, err
		}
	}
}

// writePartOnce is writeOnce for a part: the generation check first (its
// shared lock keeps a --full or the last part's finish from passing this
// page), then the rows, then the part's progress. fresh says the part's
// key range after its last key held no target rows when the part began:
// its pages are then loaded directly (loadDirect), each checked, and take
// the merge only when that load is undone.
func (t *Target) writePartOnce(ctx context.Context, ps datasync.PartState, p *prepared, fresh bool, mark func(context.Context, *sql.Tx) error) (datasync.WriteStats, error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := t.store.RunningGeneration(ctx, tx, ps.Table, ps.Generation); err != nil {
		return datasync.WriteStats{}, err
	}
	ws, direct, err := t.writeRowsIn(ctx, tx, p, fresh)
	if err != nil {
		return ws, err
	}
	// Rows merged over existing ones (a --full, a range not fresh) may be
	// marked deleted there; the source holds them: no longer deleted. A
	// direct load wrote into an empty range, where nothing is marked.
	if !direct {
		if err := t.unmark(ctx, tx, p.rows); err != nil {
			return ws, err
		}
	}
	if err := mark(ctx, tx); err != nil {
		return ws, err
	}
	return ws, commit(ctx, tx)
}

// writePartIsolating is writeIsolating for a part: refused rows go to
// the state store's rejects (the runs after the snapshot try them again) and the
// part's progress passes them, or, with on_bad_rows: fail, nothing is
// written.
func (t *Target) writePartIsolating(ctx context.Context, ps datasync.PartState, rows []datasync.Row, mark func(context.Context, *sql.Tx) error) (datasync.WriteStats, error) {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return datasync.WriteStats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := t.store.RunningGeneration(ctx, tx, ps.Table, ps.Generation); err != nil {
		return datasync.WriteStats{}, err
	}
	ws, bad, err := t.isolate(ctx, tx, rows)
	if err != nil {
		return ws, err
	}
	if t.onBadRows == tables.OnBadRowsFail && len(bad) > 0 {
		return datasync.WriteStats{}, t.badRowsError(bad)
	}
	if err := t.keepRejects(ctx, tx, datasync.State{Table: ps.Table, RunID: ps.RunID}, bad); err != nil {
		return ws, err
	}
	if err := t.unmark(ctx, tx, rows); err != nil { // as a run's page does
		return ws, err
	}
	if err := mark(ctx, tx); err != nil {
		return ws, err
	}
	return ws, commit(ctx, tx)
}

// PartFresh implements datasync.PartWriter with one indexed probe of the
// target's primary key. The target compares keys in its own collation,
// which may order strings unlike the source: the answer is a hint that a
// load into the range needs no merge, and a load that trusts it must still
// check that every row went in.
func (t *Target) PartFresh(ctx context.Context, ps datasync.PartState) (bool, error) {
	var conds []string
	var args []any
	add := func(k []any, op string) {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(k)), ", ")
		conds = append(conds, "("+strings.Join(t.keyCols, ", ")+") "+op+" ("+marks+")")
		for _, v := range k {
			args = append(args, arg(v))
		}
	}
	switch {
	case ps.Last != nil:
		add(ps.Last, ">")
	case ps.Lo != nil:
		add(ps.Lo, ">=")
	}
	if ps.Hi != nil {
		add(ps.Hi, "<")
	}
	where := "1=1"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	var one int
	err := t.db.QueryRowContext(ctx, "SELECT 1 FROM "+t.table+" WHERE "+where+" LIMIT 1", args...).Scan(&one)
	if err == sql.ErrNoRows {
		return true, nil
	}
	return false, err
}
