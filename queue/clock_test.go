package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
)

// A stored cursor ahead of the source's clock (the clock stepped back,
// or cursor_clock names the wrong clock) reads nothing, and rows stamped
// now would be skipped: the run says so in its notes, which the run log
// keeps, instead of succeeding in silence.
func TestClockBehindTheCursorIsNoted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	f.insert("items", 1, 10)
	ctx := context.Background()
	run := func() datasync.RunRecord {
		t.Helper()
		job, err := connect.Open(ctx, f.pools, f.table("items"))
		if err != nil {
			t.Fatal(err)
		}
		defer job.Close()
		rec, err := job.Run(ctx, datasync.Options{Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if rec := run(); rec.Read != 10 || rec.Notes != "" {
		t.Fatalf("first run: %d rows, notes %q; want 10 rows and no note", rec.Read, rec.Notes)
	}
	ahead := datasync.Position{Cursor: time.Now().UTC().Add(time.Hour)}
	if err := state.New(f.tgt).Rewind(ctx, "items", ahead); err != nil {
		t.Fatal(err)
	}
	rec := run()
	if rec.Read != 0 || !strings.Contains(rec.Notes, "behind the stored cursor") {
		t.Fatalf("run with the cursor an hour ahead of the source clock: %d rows, notes %q; want none read and a note", rec.Read, rec.Notes)
	}
	var notes string
	if err := f.tgt.QueryRow("SELECT notes FROM syncd_runs WHERE id = ?", rec.ID).Scan(&notes); err != nil || notes != rec.Notes {
		t.Fatalf("syncd_runs notes of run %d: %q, %v; want %q", rec.ID, notes, err, rec.Notes)
	}
}
