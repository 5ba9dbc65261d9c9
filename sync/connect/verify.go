package connect

import (
	"context"
	"fmt"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/tables"
)

// Verify compares t's target table with its source (see datasync.Verify),
// taking the stored position from the target's state.
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
	db, err := StateDB(ctx, p, t)
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	// The target table read as a source: its own columns and types, keyed
	// by the mapped key. The cursor is only needed to satisfy the reader;
	// verify never pages the target by it.
	as := tables.Table{Name: t.Name + " (target)", Source: tables.Source{
		Connection: t.Target.Connection, Table: t.Target.Table, Key: m.Key, Cursor: m.Key[0],
	}}
	tgt, err := datasync.NewSQLSource(ctx, db, mysql.Dialect{}, as)
	if err != nil {
		return datasync.VerifyReport{}, fmt.Errorf("%s: read target table: %w", t.Name, err)
	}
	st, synced, err := mysql.ReadState(ctx, db, t.Name)
	if err != nil {
		return datasync.VerifyReport{}, err
	}
	return datasync.Verify(ctx, src, tgt, m, datasync.VerifyOptions{Ranges: ranges, Position: st.Position, Synced: synced})
}
