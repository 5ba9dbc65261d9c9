package datasync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/syncd/syncd/tables"
)

// TriggerReconcile is the trigger of a reconcile in the run log.
const TriggerReconcile = "reconcile"

// Actions a reconcile takes on one key, as its report lists them.
const (
	ActionDelete = "delete" // the key is gone from the source: its target row is deleted
	ActionMark   = "mark"   // the key is gone: its target row is marked deleted
	ActionKeep   = "keep"   // the key is gone: its target row is kept (deletes: keep)
	ActionRepair = "repair" // missing in the target, or different: written again
)

// Reconciler is a Target that can delete target rows by key, or mark
// them deleted, and record how many a reconcile deleted. Every method
// that writes does so in one transaction, only while st.Version is still
// the table's version; otherwise it writes nothing and returns ErrFenced
// (ErrPaused when the table was paused). Running one twice is harmless.
type Reconciler interface {
	// DeleteKeys deletes the rows of keys (target key values, in the
	// mapped key's order) and returns how many it deleted.
	DeleteKeys(ctx context.Context, st State, keys [][]any) (int64, error)
	// MarkKeys sets column to at on the rows of keys where it is NULL, or
	// with a nil at clears it where it is set, and returns how many rows
	// it changed.
	MarkKeys(ctx context.Context, st State, column string, keys [][]any, at *time.Time) (int64, error)
	// RecordDeleted records n rows deleted (or marked) by run runID.
	RecordDeleted(ctx context.Context, runID, n int64) error
}

// ReconcileOptions are the inputs of one reconcile.
type ReconcileOptions struct {
	Table   tables.Table
	Source  *SQLSource
	Target  Target
	Mapping Mapping
	// Current is the target table read as a source (keyed by the mapped
	// key; with deletes: mark, rows already marked left out).
	Current *SQLSource
	// DryRun finds and lists what a reconcile would do and writes
	// nothing, not even a claim; Position and Synced are then the stored
	// state (a real reconcile claims the table and takes them from there).
	DryRun   bool
	Position Position
	Synced   bool
	// Ranges is how many key ranges the table is cut into at first
	// (default 16); MaxKeys caps the keys listed per action (default 100).
	Ranges, MaxKeys int
	Logger          zerolog.Logger
	// AfterBatch, when set, is called after each committed batch with its
	// number (from 1); an error stops the reconcile. Tests use it.
	AfterBatch func(batch int) error
	// BeforePass, when set, is called before each comparison with its
	// number (from 1); an error stops the reconcile. Tests use it.
	BeforePass func(pass int) error
}

// ReconcileReport is what a reconcile found and did.
type ReconcileReport struct {
	// Found is the comparison the reconcile acted on (of its last pass).
	Found VerifyReport `json:"found"`
	// Deleted counts target rows deleted, or marked with deletes: mark;
	// Kept the rows left in place by deletes: keep.
	Deleted int64 `json:"deleted"`
	Kept    int64 `json:"kept"`
	// Repaired counts the rows written again (inserted or updated).
	Repaired WriteStats `json:"repaired"`
	// Gone counts missing or different rows the source no longer held
	// when they were read again (deleted meanwhile).
	Gone  int64      `json:"gone"`
	Keys  []Mismatch `json:"keys,omitempty"` // Kind is an Action
	RunID int64      `json:"run_id,omitempty"`
	// Passes is how many comparisons ran: more than one when there were
	// more differences than a comparison holds.
	Passes int  `json:"passes"`
	DryRun bool `json:"dry_run"`
}

// maxPasses bounds the comparisons of one reconcile: each repairs up to
// maxHeld keys per kind.
const maxPasses = 10

// Reconcile finds, with Verify's range checksums up to the stored
// position, the rows where the target differs from its source, and
// within them deletes (or marks, or keeps, per deletes:) target rows
// whose keys are gone from the source and writes again the rows missing
// or different. It claims the table as a run does, so a run or rewind
// that claims it after stops it (ErrFenced) and it stops a run in
// progress; it is recorded in the run log with trigger reconcile.
func Reconcile(ctx context.Context, o ReconcileOptions) (ReconcileReport, error) {
	rep := ReconcileReport{DryRun: o.DryRun}
	if _, ok := o.Target.(Reconciler); !ok && !o.DryRun {
		return rep, fmt.Errorf("reconcile %s: the target cannot delete rows by key", o.Table.Name)
	}
	if o.DryRun {
		if !o.Synced || o.Position.IsZero() {
			return rep, fmt.Errorf("reconcile %s: %w", o.Table.Name, ErrNotSynced)
		}
		r := &reconciler{o: o, rep: &rep, st: State{Table: o.Table.Name, Position: o.Position}}
		return rep, r.pass(ctx)
	}
	st, err := o.Target.Claim(ctx, o.Table.Name)
	if err != nil {
		return rep, fmt.Errorf("claim %s: %w", o.Table.Name, err)
	}
	if st.Paused {
		return rep, ErrPaused
	}
	if st.Position.IsZero() {
		return rep, fmt.Errorf("reconcile %s: %w", o.Table.Name, ErrNotSynced)
	}
	return reconcileRun(ctx, o, st, &rep)
}

// ErrNotSynced says that a table was never synced: with no stored
// position, every source row is pending and every target row would look
// deleted, so there is nothing a reconcile may do.
var ErrNotSynced = fmt.Errorf("the table has not been synced yet (reconcile compares up to the stored cursor)")

// reconcileRun records the reconcile in the run log around its passes.
func reconcileRun(ctx context.Context, o ReconcileOptions, st State, rep *ReconcileReport) (ReconcileReport, error) {
	rec := RunRecord{Table: o.Table.Name, Trigger: TriggerReconcile, Started: time.Now(), CursorBefore: st.Position, CursorAfter: st.Position}
	id, err := o.Target.StartRun(ctx, rec)
	if err != nil {
		return *rep, fmt.Errorf("record start of reconcile of %s: %w", o.Table.Name, err)
	}
	rec.ID, st.RunID, rep.RunID = id, id, id
	r := &reconciler{o: o, rep: rep, st: st}
	r.log = o.Logger.With().Str(FieldTable, o.Table.Name).Int64(FieldRunID, id).Logger()
	err = r.passes(ctx)
	rec.Ended, rec.WriteStats = time.Now(), rep.Repaired
	rec.Read = rep.Repaired.Inserted + rep.Repaired.Updated + rep.Repaired.Unchanged + rep.Repaired.Rejected
	rec.Pages = r.batches
	if err != nil {
		rec.Error, rec.Paused = err.Error(), IsPaused(err)
	}
	finishCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ferr := o.Target.FinishRun(finishCtx, rec)
	if ferr == nil {
		ferr = o.Target.(Reconciler).RecordDeleted(finishCtx, id, rep.Deleted)
	}
	if ferr != nil && err == nil {
		err = fmt.Errorf("record end of reconcile of %s: %w", o.Table.Name, ferr)
	}
	r.logEnd(rec, err)
	return *rep, err
}

// reconciler carries one reconcile through its passes.
type reconciler struct {
	o       ReconcileOptions
	rep     *ReconcileReport
	st      State
	log     zerolog.Logger
	batches int
}

// passes compares and repairs until a comparison holds every difference
// it found (or maxPasses).
func (r *reconciler) passes(ctx context.Context) error {
	for {
		v, err := r.diff(ctx)
		if err != nil {
			return err
		}
		if err := r.apply(ctx, v); err != nil {
			return err
		}
		if v.missingOver+v.extraOver+v.differentOver == 0 || r.rep.Passes >= maxPasses {
			return nil
		}
	}
}

// pass is one comparison that is only listed (a dry run).
func (r *reconciler) pass(ctx context.Context) error {
	v, err := r.diff(ctx)
	if err != nil {
		return err
	}
	gone, repair := r.plan(v)
	r.list(r.goneAction(), gone)
	r.list(ActionRepair, repair)
	if r.goneAction() == ActionKeep {
		r.rep.Kept = int64(len(gone)) + v.extraOver
	} else {
		r.rep.Deleted = int64(len(gone)) + v.extraOver
	}
	r.rep.Repaired.Inserted = int64(len(v.missing)) + v.missingOver
	r.rep.Repaired.Updated = int64(len(v.different)) + v.differentOver
	return nil
}

// diff compares the tables up to the position, keeping key values.
func (r *reconciler) diff(ctx context.Context) (*verifier, error) {
	r.rep.Passes++
	if r.o.BeforePass != nil {
		if err := r.o.BeforePass(r.rep.Passes); err != nil {
			return nil, err
		}
	}
	vo := VerifyOptions{Ranges: r.o.Ranges, Position: r.st.Position, Synced: true, MaxKeys: r.o.MaxKeys, PageTimeout: r.o.Table.PageTimeout}
	v, err := diffTables(ctx, r.o.Source, r.o.Current, r.o.Mapping, vo, true)
	if err != nil {
		return nil, fmt.Errorf("compare %s with its source: %w", r.o.Table.Name, err)
	}
	r.rep.Found = *v.rep
	return v, nil
}

// plan returns the key texts gone from the source (target rows to delete)
// and those to write again, each sorted.
func (r *reconciler) plan(v *verifier) (gone, repair []string) {
	gone = mapKeys(v.extra)
	repair = append(mapKeys(v.missing), v.different...)
	slices.Sort(gone)
	slices.Sort(repair)
	return gone, slices.Compact(repair)
}

// goneAction is what happens to a target row whose key left the source.
func (r *reconciler) goneAction() string {
	switch r.o.Table.Deletes {
	case tables.DeletesKeep:
		return ActionKeep
	case tables.DeletesMark:
		return ActionMark
	}
	return ActionDelete
}

// list adds up to MaxKeys keys of an action to the report.
func (r *reconciler) list(action string, keys []string) {
	limit := r.o.MaxKeys
	if limit <= 0 {
		limit = 100
	}
	for i, k := range keys {
		if i == limit {
			return
		}
		r.rep.Keys = append(r.rep.Keys, Mismatch{Key: k, Kind: action})
	}
}

func (r *reconciler) logEnd(rec RunRecord, err error) {
	ev := r.log.Info()
	switch {
	case rec.Paused:
		ev = r.log.Info().Str("stopped", "table paused")
	case err != nil:
		ev = r.log.Error().Err(err)
	}
	ev.Str(FieldTrigger, rec.Trigger).Int64("deleted", r.rep.Deleted).Int64("kept", r.rep.Kept).
		Int64("inserted", rec.Inserted).Int64("updated", rec.Updated).Int64("rejected", rec.Rejected).Int64("gone", r.rep.Gone).
		Int("passes", r.rep.Passes).Int("batches", rec.Pages).Dur("duration", rec.Ended.Sub(rec.Started)).Msg("reconcile finished")
}

// CheckDeletedColumn returns an error matching ErrDeclaration when t
// marks deletes (deletes: mark) in a column the target table lacks or
// that a source column feeds (a run would overwrite the mark).
func CheckDeletedColumn(t tables.Table, m Mapping, info TableInfo) error {
	col := t.Target.DeletedColumn
	if t.Deletes != tables.DeletesMark {
		return nil
	}
	if slices.ContainsFunc(m.Columns, func(c string) bool { return strings.EqualFold(c, col) }) {
		return declarationErrorf("%s: target.deleted_column: %s is fed by a source column (allowed: a target column of its own)", t.Name, col)
	}
	for _, c := range info.Columns {
		if strings.EqualFold(c.Name, col) {
			return nil
		}
	}
	return declarationErrorf("%s: target.deleted_column: %s is not a column of %s (allowed: a nullable DATETIME column added to it)", t.Name, col, t.Target.Table)
}
