package tables

import "slices"

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
}
