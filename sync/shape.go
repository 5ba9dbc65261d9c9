package datasync

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// columnShape renders every column of a result as the driver describes
// it: name, type, and length, precision and scale where the driver knows
// them. Two probes with the same shape saw the same columns.
func columnShape(types []*sql.ColumnType) string {
	var b strings.Builder
	for _, ct := range types {
		fmt.Fprintf(&b, "%s %s", ct.Name(), ct.DatabaseTypeName())
		if n, ok := ct.Length(); ok {
			fmt.Fprintf(&b, " len %d", n)
		}
		if p, s, ok := ct.DecimalSize(); ok {
			fmt.Fprintf(&b, " dec %d,%d", p, s)
		}
		if null, ok := ct.Nullable(); ok {
			fmt.Fprintf(&b, " null %t", null)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ColumnsChanged probes the source's columns again (one statement that
// returns no rows) and reports whether any was added, removed, renamed or
// changed type, length or precision since the source was opened, as far
// as the driver tells. A source whose setup is kept between runs asks it
// before each run instead of reading the catalog.
func (s *SQLSource) ColumnsChanged(ctx context.Context) (bool, error) {
	from, err := SourceFrom(s.d, s.table.Source)
	if err != nil {
		return false, err
	}
	_, shape, err := probe(ctx, s.db, from, s.name())
	if err != nil {
		return false, err
	}
	return shape != s.shape, nil
}

// ClockKey names what UpperBound reads when it reads a clock: the same
// key means the same statement and the same conversion, so readers of
// many tables of one connection (status pages) read the clock once. It
// is empty when the bound is not a clock (an integer cursor's MAX).
func (s *SQLSource) ClockKey() string {
	q, clocked := s.d.UpperBoundQuery(s.cursor.Column, s.table.Source.CursorClock)
	if !clocked {
		return ""
	}
	return s.cursor.DatabaseType + "\x00" + q
}
