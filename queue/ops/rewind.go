package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/tables"
)

// fromLayouts are the times --from accepts. A time without a zone is the
// cursor's wall-clock value as stored, which is how syncd reads cursors of
// types without a zone.
var fromLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseFrom reads a rewind point: an integer (integer and rowversion
// cursors) or a time.
func ParseFrom(s string) (any, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	for _, l := range fromLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w %q (allowed: an integer, or a time like 2026-01-02T15:04:05, 2026-01-02 15:04:05.123456, 2026-01-02T15:04:05+08:00 or 2026-01-02)", tables.ErrBadValue, s)
}

// Rewind moves t's stored position so that its next run reads again every
// row whose cursor is at or after from, or, with from nil, every row (an
// initial load). It first checks that from fits the source's cursor
// column. A run of t in progress stops at its next page (its fencing
// version is stale), so it cannot move the position past the rewind.
func (s *Service) Rewind(ctx context.Context, t tables.Table, from any) error {
	var pos datasync.Position
	if from != nil {
		src, err := connect.OpenSource(ctx, s.pools, t)
		if err != nil {
			return err
		}
		defer src.Close()
		pos = datasync.Position{Cursor: from}
		// Reading one row from there is the check the source itself makes
		// of the value: a time for an integer column fails here, not later.
		if _, err := src.ReadPage(ctx, pos, nil, 1); err != nil {
			return fmt.Errorf("%s: --from %v does not fit the cursor column %s: %w", t.Name, from, t.Source.Cursor, err)
		}
	}
	st, err := s.ensured(ctx, t)
	if err != nil {
		return err
	}
	if from == nil {
		// --full: a snapshot under way is given up with the rewind, and
		// its parts are fenced.
		return st.RewindFull(ctx, t.Name)
	}
	return st.Rewind(ctx, t.Name, pos)
}

// RewindPoint says where a rewind to from goes, for people.
func RewindPoint(from any) string {
	if from == nil {
		return "the start (full re-sync)"
	}
	if t, ok := from.(time.Time); ok {
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(from)
}
