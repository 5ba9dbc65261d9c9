package datasync

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// PageDeleter is a Target that can remove, in a page's own transaction,
// the rows its source marks deleted (source.deleted_when). A table that
// declares deleted_when needs one: Run refuses it otherwise.
type PageDeleter interface {
	// WritePageDeleting is WritePage that also deletes the target rows of
	// gone (target key values, in the mapped key's order), or marks them
	// deleted when the table says deletes: mark, in the same transaction
	// as the rows and the position; WriteStats.Deleted counts the rows it
	// deleted or marked (a key the target does not hold counts nothing).
	WritePageDeleting(ctx context.Context, st State, rows []Row, gone [][]any, pos Position) (WriteStats, error)
}

// isDeleted reports whether a row read by a Source of ncols columns
// carries the deleted flag of source.deleted_when, set.
func isDeleted(r Row, ncols int) bool {
	if len(r) <= ncols {
		return false
	}
	v, ok := r[ncols].(int64)
	return ok && v == 1
}

// splitPage projects the live rows of a page into the target's columns
// and returns the keys of those the source marks deleted.
func splitPage(rows []Row, m Mapping, ncols int) (live []Row, gone [][]any) {
	live = make([]Row, 0, len(rows))
	for _, r := range rows {
		if isDeleted(r, ncols) {
			gone = append(gone, m.PositionOf(r).Key)
			continue
		}
		live = append(live, m.Project(r))
	}
	return live, gone
}

// writeLive writes a page of live rows and removes the gone ones, moving
// the position to pos, all in one target transaction.
func writeLive(ctx context.Context, tgt Target, st State, live []Row, gone [][]any, pos Position) (WriteStats, error) {
	if len(gone) == 0 {
		return tgt.WritePage(ctx, st, live, pos)
	}
	pd, ok := tgt.(PageDeleter)
	if !ok {
		return WriteStats{}, fmt.Errorf("the target cannot delete rows in a page (source.deleted_when)")
	}
	return pd.WritePageDeleting(ctx, st, live, gone, pos)
}

// checkDeleter refuses a run of a table that declares deleted_when on a
// target that could not remove what it marks.
func checkDeleter(o Options) error {
	if o.Table.Source.DeletedWhen == "" {
		return nil
	}
	if _, ok := o.Target.(PageDeleter); !ok {
		return declarationErrorf("%s: source.deleted_when: the target cannot delete rows in a page's transaction", o.Table.Name)
	}
	return nil
}

// deletedAlias is the reserved name of the page query's deleted flag.
const deletedAlias = "syncd_deleted"

// deletedSelect is what the page query selects after the columns when
// the table declares deleted_when: 1 for a row the condition holds for,
// else 0 (NULL included). A column of the same page, rather than a
// filter, keeps paging and ties across page boundaries as they are.
func (s *SQLSource) deletedSelect() string {
	if s.table.Source.DeletedWhen == "" {
		return ""
	}
	return ", " + s.deletedCase() + " AS " + deletedAlias
}

func (s *SQLSource) deletedCase() string {
	return "CASE WHEN (" + s.table.Source.DeletedWhen + ") THEN 1 ELSE 0 END"
}

// liveSuffix is whereSuffix that also leaves out the rows deleted_when
// marks deleted: the rows the target is meant to hold, as verify,
// reconcile and the retry of rejected rows see the source.
func (s *SQLSource) liveSuffix(prefix string) string {
	w := s.whereSuffix("")
	if s.table.Source.DeletedWhen == "" {
		if w == "" {
			return ""
		}
		return prefix + w
	}
	live := s.deletedCase() + " = 0"
	if w != "" {
		live = w + " AND " + live
	}
	return prefix + live
}

// scanFlagged scans a row of the page query: its columns, and the
// deleted flag when the table declares deleted_when.
func (s *SQLSource) scanFlagged(rows *sql.Rows, ptrs []any) (Row, error) {
	n := len(s.cols)
	if s.table.Source.DeletedWhen != "" {
		n++
	}
	return s.scanN(rows, n, ptrs)
}

// deletedFlag reads the deleted flag as the drivers hand out an integer
// expression: an int64, or its text.
func deletedFlag(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%s: unexpected %T", deletedAlias, v)
}

// scan reads one row of the source's columns; ptrs is scratch space kept
// by the caller from row to row (nil: allocated here).
func (s *SQLSource) scan(rows *sql.Rows, ptrs []any) (Row, error) {
	return s.scanN(rows, len(s.cols), ptrs)
}

// scanN scans the first n values of a row: the columns, and the deleted
// flag when n is one more. The row's values are new for every row (the
// page keeps them); the pointers Scan takes are not, since a page of
// 10,000 rows would otherwise allocate them 10,000 times.
func (s *SQLSource) scanN(rows *sql.Rows, n int, ptrs []any) (Row, error) {
	raw := make([]any, n)
	if len(ptrs) < n {
		ptrs = make([]any, n)
	}
	ptrs = ptrs[:n]
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, v := range raw {
		if i == len(s.cols) {
			f, err := deletedFlag(v)
			if err != nil {
				return nil, err
			}
			raw[i] = f
			continue
		}
		c, err := s.conv[i](v)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", s.cols[i].Name, err)
		}
		raw[i] = c
	}
	return Row(raw), nil
}
