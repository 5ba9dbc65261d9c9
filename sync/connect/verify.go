package connect

import (
	"context"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Verify compares t's target table with its source (see datasync.Verify),
// taking the stored position from the target's state; with deletes:
// mark, target rows marked deleted are left out and only counted.
func Verify(ctx context.Context, p *Pools, t tables.Table, ranges int) (datasync.VerifyReport, error) {
	src, err := OpenSource(ctx, p, t)
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	defer src.Close()
	m, err := datasync.NewMapping(t, src.Columns())
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	tgt, err := targetAsSource(ctx, p, t, m, unmarked(t))
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	db, err := StateDB(ctx, p, t)
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	st, synced, err := state.New(db).ReadState(ctx, t.Name)
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	rep, err := datasync.Verify(ctx, src, tgt, m, datasync.VerifyOptions{Ranges: ranges, Position: st.Position, Synced: synced})
	if err != nil {
		return rep, err
	}
	rep.Marked, err = markedRows(ctx, p, t)
	return rep, err
}
