package datasync

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/syncd/syncd/tables"
)

// countingSource hands out pages of int cursors forever and counts reads.
type countingSource struct {
	reads atomic.Int64
}

func (s *countingSource) Columns() []Column { return []Column{{Name: "id"}, {Name: "c"}} }
func (s *countingSource) UpperBound(context.Context, time.Duration) (any, error) {
	return int64(1 << 40), nil
}
func (s *countingSource) Close() error { return nil }
func (s *countingSource) ReadPage(_ context.Context, pos Position, _ any, limit int) ([]Row, error) {
	s.reads.Add(1)
	start := int64(0)
	if !pos.IsZero() {
		start = pos.Cursor.(int64)
	}
	rows := make([]Row, limit)
	for i := range rows {
		v := start + int64(i) + 1
		rows[i] = Row{v, v}
	}
	return rows, nil
}

// countingSource has the capabilities every run needs (schema drift,
// rejects), with nothing in them.
func (s *countingSource) Schema(context.Context) ([]ColumnInfo, error) {
	return []ColumnInfo{{Name: "id", Type: "BIGINT"}, {Name: "c", Type: "BIGINT"}}, nil
}
func (s *countingSource) MySQLType(ColumnInfo, bool) (string, error)       { return "BIGINT", nil }
func (s *countingSource) ReadKeys(context.Context, [][]any) ([]Row, error) { return nil, nil }

// slowTarget records how far the reader ran ahead of each write.
type slowTarget struct {
	src      *countingSource
	writes   int64
	maxAhead int64
}

func (t *slowTarget) Claim(context.Context, string) (State, error)       { return State{Version: 1}, nil }
func (t *slowTarget) StartRun(context.Context, RunRecord) (int64, error) { return 1, nil }
func (t *slowTarget) FinishRun(context.Context, RunRecord) error         { return nil }
func (t *slowTarget) WritePage(context.Context, State, []Row, Position) (WriteStats, error) {
	time.Sleep(2 * time.Millisecond) // a slow target: the reader would race ahead if it could
	t.writes++
	if ahead := t.src.reads.Load() - t.writes; ahead > t.maxAhead {
		t.maxAhead = ahead
	}
	return WriteStats{}, nil
}

// slowTarget keeps no columns and no rejects.
func (t *slowTarget) SeenColumns(context.Context, string) ([]ColumnInfo, error) { return nil, nil }
func (t *slowTarget) KeepColumns(context.Context, State, []ColumnInfo) error    { return nil }
func (t *slowTarget) AddColumns(context.Context, []ColumnDef) ([]string, error) { return nil, nil }
func (t *slowTarget) RejectedKeys(context.Context, string) ([][]any, error)     { return nil, nil }
func (t *slowTarget) RetryRejects(context.Context, State, []Row, [][]any) (WriteStats, error) {
	return WriteStats{}, nil
}

// TestReaderStaysOnePageAhead: however slow the target, the reader holds at
// most the page being written, one queued and one being read, so memory is
// bounded by batch_size and never by the table.
func TestReaderStaysOnePageAhead(t *testing.T) {
	src := &countingSource{}
	tgt := &slowTarget{src: src}
	tbl := tables.Table{Name: "t", Source: tables.Source{Key: []string{"id"}, Cursor: "c"}, BatchSize: 10}
	m, err := NewMapping(tbl, src.Columns())
	if err != nil {
		t.Fatal(err)
	}
	stop := func(page int) error {
		if page == 200 {
			return context.Canceled
		}
		return nil
	}
	if _, err := Run(context.Background(), Options{Table: tbl, Source: src, Target: tgt, Mapping: m, Logger: zerolog.Nop(), AfterPage: stop}); !errors.Is(err, context.Canceled) {
		t.Fatalf("run stopped after page 200: %v, want context.Canceled", err)
	}
	if tgt.writes != 200 {
		t.Fatalf("wrote %d pages, want 200", tgt.writes)
	}
	if tgt.maxAhead > 2 {
		t.Fatalf("the reader ran %d pages ahead of the writer; pages in memory must stay bounded", tgt.maxAhead)
	}
}
