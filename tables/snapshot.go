package tables

// Snapshot are the settings of a table's snapshot: the first load (no
// cursor yet) and `syncd enqueue --full`, read in key order and split
// into parts that any worker can take.
type Snapshot struct {
	// Parts is how many parts the key range is split into, each an Asynq
	// task of its own. 0 (the default) chooses by the source's row count:
	// one part per SnapshotRowsPerPart rows, at most AutoSnapshotParts; a
	// table of fewer than SnapshotRowsPerPart rows is loaded by an
	// ordinary run, as before snapshots existed. 1 or more always loads by
	// snapshot.
	Parts int `koanf:"parts"`
}

// Limits and defaults of Snapshot.
const (
	// SnapshotRowsPerPart is the rows per part when parts is chosen by
	// size: a part of a million rows takes a worker tens of seconds.
	SnapshotRowsPerPart = 1_000_000
	// MaxSnapshotParts bounds the parts, whether chosen or declared: each
	// is a task, a state row and a sampled key.
	MaxSnapshotParts = 256
	// AutoSnapshotParts caps the parts chosen by size; more workers than
	// this on one table rarely help a single target.
	AutoSnapshotParts = 16
)

// checkSnapshot checks snapshot.parts.
func (t Table) checkSnapshot(p *problems) {
	if n := t.Snapshot.Parts; n < 0 || n > MaxSnapshotParts {
		p.addf("snapshot.parts", "%w: %d (allowed: 0 for one part per %d source rows, at most %d; or 1 to %d)",
			ErrOutOfRange, n, SnapshotRowsPerPart, AutoSnapshotParts, MaxSnapshotParts)
	}
}

// BySnapshot reports whether a first load or --full of a source of rows
// rows is a snapshot: always when parts are declared, else when the
// source holds SnapshotRowsPerPart rows or more. Below that an ordinary
// run loads the table in seconds, and in cursor order, which a table's
// later runs continue without a switch.
func (t Table) BySnapshot(rows int64) bool {
	return t.Snapshot.Parts > 0 || rows >= SnapshotRowsPerPart
}

// SnapshotParts returns the parts a snapshot of rows source rows is split
// into: the declared number, or one per SnapshotRowsPerPart rows (at
// least 1, at most AutoSnapshotParts).
func (t Table) SnapshotParts(rows int64) int {
	if t.Snapshot.Parts > 0 {
		return t.Snapshot.Parts
	}
	n := (rows + SnapshotRowsPerPart - 1) / SnapshotRowsPerPart
	return int(max(1, min(n, AutoSnapshotParts)))
}
