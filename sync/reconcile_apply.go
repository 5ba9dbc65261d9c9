package datasync

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/syncd/syncd/tables"
)

// Log field names of a reconcile.
const (
	FieldKey    = "key"
	FieldAction = "action"
)

// maxDeleteBatch bounds the keys one delete transaction takes.
const maxDeleteBatch = 1000

// apply acts on what one comparison found: target rows gone from the
// source first, then the rows to write again, each in batches of one
// transaction.
func (r *reconciler) apply(ctx context.Context, v *verifier) error {
	gone, repair := r.plan(v)
	action := r.goneAction()
	r.list(action, gone)
	r.list(ActionRepair, repair)
	if action == ActionKeep {
		r.rep.Kept += int64(len(gone))
		r.logKeys(ActionKeep, gone)
	} else if err := r.removeAll(ctx, gone, v.tgtKeys); err != nil {
		return err
	}
	return r.repairAll(ctx, repair, v.srcKeys)
}

// bounded runs f, one batch or one range statement, under t's
// page_timeout, and names page_timeout in its error when that ended it.
func bounded(ctx context.Context, t tables.Table, f func(context.Context) error) error {
	pctx, cancel := pageContext(ctx, t)
	defer cancel()
	return timedOut(ctx, pctx, f(pctx), t)
}

// batchSize is the declared batch size, capped for a statement of keys.
func (r *reconciler) batchSize() int {
	return max(1, min(r.o.Table.BatchSize, maxDeleteBatch))
}

// removeAll deletes, or marks, the target rows of keys in batches.
func (r *reconciler) removeAll(ctx context.Context, keys []string, vals map[string][]any) error {
	rc := r.o.Target.(Reconciler)
	for len(keys) > 0 {
		n := min(r.batchSize(), len(keys))
		batch := values(keys[:n], vals)
		var done int64
		err := bounded(ctx, r.o.Table, func(ctx context.Context) (err error) {
			if r.o.Table.Deletes == tables.DeletesMark {
				now := time.Now().UTC()
				done, err = rc.MarkKeys(ctx, r.st, r.o.Table.Target.DeletedColumn, batch, &now)
			} else {
				done, err = rc.DeleteKeys(ctx, r.st, batch)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("%s %d rows of %s: %w", r.goneAction(), n, r.o.Table.Name, err)
		}
		r.rep.Deleted += done
		r.logKeys(r.goneAction(), keys[:n])
		if err := r.afterBatch(); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// repairAll reads the rows of keys from the source again and writes them
// through the target's ordinary page write, at the stored position.
func (r *reconciler) repairAll(ctx context.Context, keys []string, vals map[string][]any) error {
	for len(keys) > 0 {
		n := min(r.batchSize(), len(keys))
		batch := values(keys[:n], vals)
		if err := bounded(ctx, r.o.Table, func(ctx context.Context) error { return r.repair(ctx, batch) }); err != nil {
			return err
		}
		r.logKeys(ActionRepair, keys[:n])
		if err := r.afterBatch(); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// repair writes one batch of rows again; with deletes: mark it also
// clears the mark of rows that came back to the source.
func (r *reconciler) repair(ctx context.Context, keys [][]any) error {
	rows, err := r.o.Source.ReadKeys(ctx, keys)
	if err != nil {
		return fmt.Errorf("read %d rows of %s to repair: %w", len(keys), r.o.Table.Name, err)
	}
	r.rep.Gone += int64(len(keys) - len(rows))
	if len(rows) == 0 {
		return nil
	}
	out := make([]Row, len(rows))
	back := make([][]any, len(rows))
	for i, row := range rows {
		out[i] = r.o.Mapping.Project(row)
		back[i] = r.o.Mapping.PositionOf(row).Key
	}
	ws, err := r.o.Target.WritePage(ctx, r.st, out, r.st.Position)
	if err != nil {
		return fmt.Errorf("repair %d rows of %s: %w", len(out), r.o.Table.Name, err)
	}
	r.rep.Repaired = r.rep.Repaired.Add(ws)
	if r.o.Table.Deletes != tables.DeletesMark {
		return nil
	}
	if _, err := r.o.Target.(Reconciler).MarkKeys(ctx, r.st, r.o.Table.Target.DeletedColumn, back, nil); err != nil {
		return fmt.Errorf("clear the delete mark of %d rows of %s: %w", len(back), r.o.Table.Name, err)
	}
	return nil
}

func (r *reconciler) afterBatch() error {
	r.batches++
	if r.o.AfterBatch != nil {
		return r.o.AfterBatch(r.batches)
	}
	return nil
}

// logKeys logs each key an action took, at debug level.
func (r *reconciler) logKeys(action string, keys []string) {
	if r.log.GetLevel() > zerolog.DebugLevel {
		return
	}
	for _, k := range keys {
		r.log.Debug().Str(FieldAction, action).Str(FieldKey, k).Msg("reconciled key")
	}
}

// values returns the key values of key texts.
func values(keys []string, vals map[string][]any) [][]any {
	out := make([][]any, len(keys))
	for i, k := range keys {
		out[i] = vals[k]
	}
	return out
}
