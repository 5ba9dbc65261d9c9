package queue

import (
	"context"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// SnapshotStatus is a table's snapshot while it runs: its parts and how
// far each got.
type SnapshotStatus struct {
	Generation int64 `json:"generation"`
	// Bound is the cursor the table gets when every part is done.
	Bound     string       `json:"bound"`
	Parts     int          `json:"parts"`
	PartsDone int          `json:"parts_done"`
	Rows      int64        `json:"rows"`
	PartList  []PartStatus `json:"part_list"`
}

// PartStatus is one part of a running snapshot.
type PartStatus struct {
	Part int   `json:"part"` // from 1
	Done bool  `json:"done"`
	Rows int64 `json:"rows"`
	// LastKey is the last key the part wrote, empty before its first page.
	LastKey string `json:"last_key,omitempty"`
}

// snapshotOf fills in t's running snapshot, if any.
func (r *StatusReader) snapshotOf(ctx context.Context, st *TableStatus, t tables.Table) {
	db, err := r.pools.DB(ctx, t.Target.Connection)
	if err != nil {
		return // the target's problem is reported with the state
	}
	running, err := state.New(db).SnapshotRunning(ctx, t.Name)
	if err != nil || !running {
		if err != nil {
			st.problem("snapshot", err)
		}
		return
	}
	snap, parts, _, err := state.New(db).ReadSnapshot(ctx, t.Name)
	if err != nil {
		st.problem("snapshot", err)
		return
	}
	st.Snapshot = snapshotStatus(snap, parts)
	// A part's successful run says nothing of how far behind the table
	// is: until the snapshot ends (and a run after it) the lag is unknown.
	st.LagSeconds = nil
}

func snapshotStatus(snap datasync.Snapshot, parts []datasync.PartState) *SnapshotStatus {
	s := &SnapshotStatus{Generation: snap.Generation, Bound: datasync.Position{Cursor: snap.Bound}.String(),
		Parts: snap.Parts, PartsDone: snap.PartsDone, Rows: snap.Rows}
	for _, p := range parts {
		ps := PartStatus{Part: p.Part + 1, Done: p.Done, Rows: p.Rows}
		if p.Last != nil {
			ps.LastKey, _ = datasync.EncodeKey(p.Last)
		}
		s.PartList = append(s.PartList, ps)
	}
	return s
}
