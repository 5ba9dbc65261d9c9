package mysqltarget

import (
	"context"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
)

// AddColumns implements datasync.SchemaTarget with one ALTER TABLE for the
// columns the table lacks (a run that stopped after adding them finds
// them there).
func (t *Target) AddColumns(ctx context.Context, cols []datasync.ColumnDef) ([]string, error) {
	info, err := mysql.Describe(ctx, t.db, t.ident)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(info.Columns))
	for _, c := range info.Columns {
		have[strings.ToLower(c.Name)] = true
	}
	var add []datasync.ColumnDef
	var names []string
	for _, c := range cols {
		if !have[strings.ToLower(c.Name)] {
			add, names = append(add, c), append(names, c.Name)
		}
	}
	if len(add) == 0 {
		return nil, nil
	}
	if _, err := t.db.ExecContext(ctx, AddColumnsSQL(t.ident, add)); err != nil {
		return nil, err
	}
	// Statements prepared before the change would still be valid, but
	// preparing afresh keeps the server from re-preparing each of them.
	t.mu.Lock()
	t.closeStmtsLocked()
	t.mu.Unlock()
	return names, nil
}
