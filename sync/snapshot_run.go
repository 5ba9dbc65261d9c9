package datasync

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// PartOptions are the inputs of RunPart: the table's Options (Trigger is
// ignored: a part's run is TriggerSnapshot) and which part.
type PartOptions struct {
	Options
	Generation int64
	Part       int
}

// RunPart loads one part of a table's snapshot: it claims the part, reads
// its key range from the part's last key on in key order, in pages read
// ahead of the writer as Run reads, and has the target write each page
// with the part's new last key. When the range is read to its end the
// part is marked done, and the last part to finish sets the table's
// cursor to the snapshot's bound. A part whose generation is no longer
// the table's running snapshot, or that another claim took over, stops
// with ErrFenced; a done part returns at once.
func RunPart(ctx context.Context, o PartOptions) (RunRecord, error) {
	rec := RunRecord{Table: o.Table.Name, Trigger: TriggerSnapshot, Started: time.Now()}
	src, ok1 := o.Source.(SnapshotSource)
	tgt, ok2 := o.Target.(SnapshotTarget)
	if !ok1 || !ok2 {
		return rec, fmt.Errorf("snapshot part of %s: the source or the target cannot take snapshots", o.Table.Name)
	}
	ps, err := tgt.ClaimPart(ctx, o.Table.Name, o.Generation, o.Part)
	if err != nil || ps.Done {
		return rec, err
	}
	rec.Notes = partNote(ps, "started")
	if rec.ID, err = o.Target.StartRun(ctx, rec); err != nil {
		return rec, fmt.Errorf("record start of %s: %w", partName(ps), err)
	}
	ps.RunID = rec.ID
	log := o.Logger.With().Str(FieldTable, o.Table.Name).Int64(FieldRunID, rec.ID).Int("part", ps.Part).Int64("generation", ps.Generation).Logger()
	snap, err := runPart(ctx, o, src, tgt, ps, &rec, log)
	rec.Ended = time.Now()
	if err != nil {
		rec.Error = err.Error()
		rec.Paused = IsPaused(err)
	}
	if snap.Done {
		rec.CursorAfter = Position{Cursor: snap.Bound}
	}
	finishCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := o.Target.FinishRun(finishCtx, rec); ferr != nil && err == nil {
		err = fmt.Errorf("record end of %s: %w", partName(ps), ferr)
	}
	logRun(log, rec, err)
	return rec, err
}

// runPart is RunPart's page loop and its finish.
func runPart(ctx context.Context, o PartOptions, src SnapshotSource, tgt SnapshotTarget, ps PartState, rec *RunRecord, log zerolog.Logger) (Snapshot, error) {
	// Checked once: the part's own pages are the only writes into its
	// range after its last key while it holds the claim.
	fresh, err := tgt.PartFresh(ctx, ps)
	if err != nil {
		return Snapshot{}, fmt.Errorf("check %s for target rows: %w", partName(ps), err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	read := func(ctx context.Context, after Position, limit int) ([]Row, error) {
		return src.ReadKeyRange(ctx, ps.Lo, after.Key, ps.Hi, limit)
	}
	for p := range preparePages(ctx, o.Options, readPagesWith(ctx, read, Position{Key: ps.Last}, o.Table, o.Mapping, o.Limiter)) {
		if p.err != nil {
			return Snapshot{}, p.err
		}
		if err := writePart(ctx, o, tgt, &ps, p, fresh, rec, log); err != nil {
			return Snapshot{}, err
		}
		if o.Progress != nil {
			o.Progress(*rec)
		}
		if o.AfterPage != nil {
			if err := o.AfterPage(rec.Pages); err != nil {
				return Snapshot{}, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	snap, err := tgt.FinishPart(ctx, ps)
	if err != nil {
		return snap, fmt.Errorf("finish %s: %w", partName(ps), err)
	}
	rec.Notes = partNote(ps, "done")
	if snap.Done {
		rec.Notes += fmt.Sprintf("; every part done: cursor set to the snapshot's bound %s", Position{Cursor: snap.Bound})
	}
	return snap, nil
}

// writePart writes one page of a part, as writePage does for a run.
func writePart(ctx context.Context, o PartOptions, tgt PartWriter, ps *PartState, p page, fresh bool, rec *RunRecord, log zerolog.Logger) error {
	pctx, cancel := pageContext(ctx, o.Table)
	ws, err := writePartRows(pctx, tgt, *ps, p, fresh)
	err = timedOut(ctx, pctx, err, o.Table)
	cancel()
	if err != nil {
		return fmt.Errorf("write page %d of %s: %w", rec.Pages+1, partName(*ps), err)
	}
	ps.Last = p.last.Key
	ps.Rows += int64(len(p.rows))
	rec.Pages++
	rec.Read += int64(len(p.rows))
	rec.WriteStats = rec.WriteStats.Add(ws)
	log.Debug().Int(FieldPage, rec.Pages).Int(FieldRows, len(p.rows)).Str("last_key", keyText(ps.Last)).Msg("page written")
	return nil
}

func partName(ps PartState) string {
	return fmt.Sprintf("snapshot %d part %d of %s", ps.Generation, ps.Part+1, ps.Table)
}

// partNote is the run log's note of a part's run.
func partNote(ps PartState, what string) string {
	return fmt.Sprintf("snapshot %d part %d %s; last key %s", ps.Generation, ps.Part+1, what, keyText(ps.Last))
}

func keyText(k []any) string {
	if k == nil {
		return "(none)"
	}
	s, err := EncodeKey(k)
	if err != nil {
		return fmt.Sprint(k)
	}
	return s
}
