package tables

import (
	"slices"
	"strings"
)

// checkDeletes checks reconcile:, deletes: and target.deleted_column: a
// mark needs a column of the target's own, which no source column feeds.
func (t Table) checkDeletes(p *problems) {
	if t.Reconcile != "" {
		if err := parseSchedule(t.Reconcile); err != nil {
			p.addf("reconcile", "%w %q: %v (allowed: %s)", ErrBadValue, t.Reconcile, err, scheduleAllowed)
		}
	}
	checkOneOf(p, "deletes", t.Deletes, DeletesDelete, DeletesKeep, DeletesMark)
	col := t.Target.DeletedColumn
	switch {
	case t.Deletes == DeletesMark && col == "":
		p.addf("target.deleted_column", "%w (allowed: a nullable DATETIME column of the target that no source column feeds; deletes: mark sets it)", ErrMissing)
	case t.Deletes != DeletesMark && col != "":
		p.addf("target.deleted_column", "%w %q: deletes is %q (allowed: deletes: mark, or no deleted_column)", ErrBadValue, col, t.Deletes)
	case col == "":
	case !checkIdent(p, "target.deleted_column", col, 1):
	case t.Target.Columns[col] != "" || slices.ContainsFunc(t.Source.Key, equalFold(col)):
		p.addf("target.deleted_column", "%w %q: a mapped column (allowed: a target column that no source column feeds)", ErrBadValue, col)
	}
	t.checkSoftDeletes(p)
}

// checkSoftDeletes checks source.deleted_when and lookback. With deletes:
// keep a soft-deleted row is an ordinary row: declaring the condition
// would promise a delete that never happens.
func (t Table) checkSoftDeletes(p *problems) {
	w := t.Source.DeletedWhen
	switch {
	case w == "":
	case strings.TrimSpace(w) == "":
		p.addf("source.deleted_when", "%w: blank (allowed: an SQL condition on the source's columns, like is_deleted = 1)", ErrBadValue)
	case t.Deletes == DeletesKeep:
		p.addf("source.deleted_when", "%w: deletes is %q, which writes soft-deleted rows as ordinary rows (allowed: deletes: delete or mark, or no deleted_when)", ErrBadValue, t.Deletes)
	case strings.Contains(w, ";"):
		p.addf("source.deleted_when", "%w %q: a ';' (allowed: one SQL condition, like is_deleted = 1)", ErrBadValue, w)
	}
	if t.Lookback < 0 {
		p.addf("lookback", "%w: %v (allowed: 0s to turn it off, or more; left out: %d times settle)", ErrOutOfRange, t.Lookback, LookbackSettles)
	}
}
