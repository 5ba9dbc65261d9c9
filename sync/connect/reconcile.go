package connect

import (
	"context"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Reconcile finds and repairs the differences of t's target with its
// source (see datasync.Reconcile), with everything opened from p; o
// brings the dry run, limits, logger and hooks.
func Reconcile(ctx context.Context, p *Pools, t tables.Table, o datasync.ReconcileOptions) (datasync.ReconcileReport, error) {
	job, err := Open(ctx, p, t)
	if err != nil {
		return datasync.ReconcileReport{}, err
	}
	defer job.Close()
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return datasync.ReconcileReport{}, err
	}
	if snap, _, ok, err := state.New(db).ReadSnapshot(ctx, t.Name); err != nil || (ok && snap.Running) {
		return datasync.ReconcileReport{}, errOr(err, fmt.Errorf("reconcile %s: %w (%d of %d parts done); reconcile once it has ended",
			t.Name, datasync.ErrSnapshotRunning, snap.PartsDone, snap.Parts))
	}
	info, err := mysql.Describe(ctx, db, id)
	if err != nil {
		return datasync.ReconcileReport{}, fmt.Errorf("%s: describe target %s: %w", t.Name, t.Target.Table, err)
	}
	if err := datasync.CheckDeletedColumn(t, job.Mapping, info); err != nil {
		return datasync.ReconcileReport{}, err
	}
	if o.Current, err = targetAsSource(ctx, p, t, job.Mapping, unmarked(t)); err != nil {
		return datasync.ReconcileReport{}, err
	}
	if o.Position, o.Synced, err = storedPosition(ctx, p, t); err != nil {
		return datasync.ReconcileReport{}, err
	}
	o.Table, o.Source, o.Target, o.Mapping = t, job.Source, job.Target, job.Mapping
	return datasync.Reconcile(ctx, o)
}

// unmarked is the target condition of the rows a comparison takes: with
// deletes: mark, rows already marked are deleted as far as it goes.
func unmarked(t tables.Table) string {
	if t.Deletes != tables.DeletesMark {
		return ""
	}
	return markedColumn(t) + " IS NULL"
}

func markedColumn(t tables.Table) string {
	return tables.Ident{Parts: []string{t.Target.DeletedColumn}}.Backticked()
}

// markedRows counts t's target rows marked deleted (none unless deletes:
// mark).
func markedRows(ctx context.Context, p *Pools, t tables.Table) (int64, error) {
	if t.Deletes != tables.DeletesMark {
		return 0, nil
	}
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return 0, err
	}
	var n int64
	q := "SELECT COUNT(*) FROM " + id.Backticked() + " WHERE " + markedColumn(t) + " IS NOT NULL"
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: count rows marked deleted in %s: %w", t.Name, t.Target.Table, err)
	}
	return n, nil
}

// targetAsSource reads t's target table as a source: its own columns and
// types, keyed by the mapped key, rows limited by where (target SQL). The
// cursor is only needed to satisfy the reader; a comparison never pages
// the target by it.
func targetAsSource(ctx context.Context, p *Pools, t tables.Table, m datasync.Mapping, where string) (*datasync.SQLSource, error) {
	db, err := StateDB(ctx, p, t)
	if err != nil {
		return nil, err
	}
	as := tables.Table{Name: t.Name + " (target)", Source: tables.Source{
		Connection: t.Target.Connection, Table: t.Target.Table, Key: m.Key, Cursor: m.Key[0], Where: where,
	}}
	tgt, err := datasync.NewSQLSource(ctx, db, mysql.Dialect{}, as)
	if err != nil {
		return nil, fmt.Errorf("%s: read target table: %w", t.Name, err)
	}
	return tgt, nil
}

// storedPosition is t's stored position, and whether it was ever synced.
func storedPosition(ctx context.Context, p *Pools, t tables.Table) (datasync.Position, bool, error) {
	db, err := StateDB(ctx, p, t)
	if err != nil {
		return datasync.Position{}, false, err
	}
	st, synced, err := state.New(db).ReadState(ctx, t.Name)
	return st.Position, synced, err
}

// errOr returns err when set, else or.
func errOr(err, or error) error {
	if err != nil {
		return err
	}
	return or
}
