package datasync

import (
	"context"
	"errors"
	"fmt"
)

// A snapshot is a table's first load (no cursor yet), or the load of
// `syncd enqueue --full`, read in key order and split into parts that any
// worker can take. Why nothing is lost or doubled:
//
//   - Before any part reads, the snapshot fixes its bound: the upper bound
//     a run started then would take (source clock minus settle, the
//     rowversion bound, or the largest integer cursor), and stores it.
//   - Each part reads every row of its key range, whatever its cursor
//     value, in key order by keyset on the key alone (the key is unique,
//     so there are no ties to lose at a page boundary), and writes each
//     page with the part's last key in one fenced transaction: a crash
//     leaves the part at a page boundary with matching progress.
//   - A row whose cursor value is at or below the bound was committed
//     before the snapshot began (the same settle rule every run relies
//     on), so the part that owns its key range reads it, or a newer
//     version of it.
//   - When every part has committed, the table's cursor becomes the bound,
//     inclusive (Position{Cursor: bound}, no key), in the transaction of
//     the last part. A row changed after the snapshot began carries a
//     cursor value above the bound (or equal to it), so the next
//     incremental run reads it again, whichever version a part wrote; a
//     row read twice is written twice, which an upsert makes harmless.
//   - A row whose key moves from one part's range to another (a delete
//     and an insert) is a delete, invisible to cursors as always (see
//     syncd reconcile), plus an insert with a cursor above the bound.
//
// While a snapshot runs, the table's ordinary runs do not start (the
// queue skips them and reconcile refuses). One that claimed before the
// snapshot began is fenced at its next page, since starting a snapshot
// raises the table's fencing version; one that slips in later only reads
// rows after the snapshot began, which the runs after the snapshot read
// again anyway, and the cursor it moves is set to the bound when the
// snapshot ends, which raises the version once more.

// TriggerSnapshot is the trigger of a snapshot part's run in the run log.
const TriggerSnapshot = "snapshot"

// ErrSnapshotRunning is returned where a table's snapshot must end first
// (an ordinary run, a reconcile).
var ErrSnapshotRunning = errors.New("a snapshot of the table is under way")

// Snapshot is a table's snapshot as the target keeps it.
type Snapshot struct {
	Table      string
	Generation int64
	// Bound is the cursor value the table's cursor becomes, inclusive,
	// when every part has committed.
	Bound any
	Parts int
	// Running is true until every part has committed (then the cursor is
	// the bound) or the snapshot was given up for a newer one (--full).
	Running bool
	// Done is true when every part committed and the cursor was set.
	Done bool
	// PartsDone and Rows sum up the parts.
	PartsDone int
	Rows      int64
}

// PartState is one part of a snapshot as a claim of it took it: the key
// range [Lo, Hi) (nil = unbounded on that side) and how far it got.
type PartState struct {
	Table      string
	Generation int64
	// Part counts from 0.
	Part int
	// Version is the part's fencing version this claim holds: every write
	// of the part is conditional on it and on Generation still being the
	// table's running snapshot.
	Version int64
	Lo, Hi  []any
	// Last is the last key written; nil when none is.
	Last []any
	Done bool
	Rows int64
	// RunID is the run log line of this claim, for the rows it rejects.
	RunID int64
}

// SnapshotTarget keeps a target's snapshots and writes their parts. It is
// separate from Target because only the MySQL target has it (asserted at
// compile time there).
type SnapshotTarget interface {
	// StartSnapshot begins a new snapshot generation of table with its
	// bound and the keys that split its key range (len(splits)+1 parts):
	// it raises the table's fencing version and forgets the parts of any
	// earlier generation, whose writers are then fenced. It fails with
	// ErrSnapshotRunning when one runs, and returns Running false (nothing
	// started) when the table has a cursor already.
	StartSnapshot(ctx context.Context, table string, bound any, splits [][]any) (Snapshot, error)
	// ClaimPart raises a part's fencing version and returns its state;
	// ErrFenced when the generation is not the table's running snapshot.
	ClaimPart(ctx context.Context, table string, generation int64, part int) (PartState, error)
	// PartWriter writes a part's pages.
	PartWriter
	// FinishPart marks the part done; when it was the last part, it sets
	// the table's cursor to the bound in the same transaction (exactly
	// once) and returns the snapshot Done. ErrFenced when the claim is
	// stale.
	FinishPart(ctx context.Context, part PartState) (Snapshot, error)
}

// PartWriter writes the pages of a snapshot part.
type PartWriter interface {
	// PartFresh reports whether the part's key range after part.Last holds
	// no target rows, so that pages may be loaded without a merge.
	PartFresh(ctx context.Context, part PartState) (bool, error)
	// WritePart upserts rows (target column order) and sets the part's
	// last key to last, in one transaction, only while part.Version is the
	// part's and its generation the table's running snapshot; otherwise
	// it writes nothing and returns ErrFenced (ErrPaused when the table is
	// paused). fresh says that PartFresh held at the part's start. A
	// deadlock retries the whole transaction; writing a page twice is
	// harmless.
	WritePart(ctx context.Context, part PartState, rows []Row, last []any, fresh bool) (WriteStats, error)
}

// SnapshotSource is a Source that can read in key order and split its
// key range by its rows.
type SnapshotSource interface {
	// CountAfter counts the rows after pos (all of them for the zero
	// Position), the declared filter applied.
	CountAfter(ctx context.Context, pos Position) (int64, error)
	// SplitKeys returns at most parts-1 keys, ascending, that cut the
	// source's rows into parts of about rows/parts rows each.
	SplitKeys(ctx context.Context, rows int64, parts int) ([][]any, error)
	// ReadKeyRange returns at most limit rows with lo <= key < hi (nil bounds
	// are open) and key > after (when after is not nil), in key order.
	ReadKeyRange(ctx context.Context, lo, after, hi []any, limit int) ([]Row, error)
}

var _ SnapshotSource = (*SQLSource)(nil)

// StartSnapshot begins a snapshot of the table when it should have one
// (tables.Table.BySnapshot: parts declared, or a million source rows or
// more; a smaller table's first load or --full is an ordinary run, as
// before snapshots existed). It reads the bound first, before the
// source's rows are counted and sampled, so that every row at or below
// the bound is in the source when the parts read it. started is false
// when the table is better loaded by an ordinary run.
func StartSnapshot(ctx context.Context, o Options) (snap Snapshot, started bool, err error) {
	src, ok1 := o.Source.(SnapshotSource)
	tgt, ok2 := o.Target.(SnapshotTarget)
	if !ok1 || !ok2 {
		return snap, false, fmt.Errorf("snapshot of %s: the source or the target cannot take snapshots", o.Table.Name)
	}
	hi, err := timedUpperBound(ctx, o)
	if err != nil || hi == nil {
		return snap, false, err
	}
	rows, err := src.CountAfter(ctx, Position{})
	if err != nil {
		return snap, false, err
	}
	if !o.Table.BySnapshot(rows) {
		return snap, false, nil
	}
	parts := o.Table.SnapshotParts(rows)
	splits, err := src.SplitKeys(ctx, rows, parts)
	if err != nil {
		return snap, false, fmt.Errorf("split %s into %d parts: %w", o.Table.Name, parts, err)
	}
	snap, err = tgt.StartSnapshot(ctx, o.Table.Name, hi, splits)
	if err != nil {
		return snap, false, fmt.Errorf("start snapshot of %s: %w", o.Table.Name, err)
	}
	return snap, snap.Running, nil
}
