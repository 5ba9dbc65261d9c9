package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/syncd/syncd/queue/ops"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// followSnapshot prints the progress of the snapshot t's task began or
// found, every five seconds, and its end; followed is false when no
// snapshot runs.
func followSnapshot(ctx context.Context, out io.Writer, svc *ops.Service, t tables.Table) (followed bool, err error) {
	var last time.Time
	snap, followed, err := svc.FollowSnapshot(ctx, t, time.Second, func(snap datasync.Snapshot, parts []datasync.PartState) {
		if time.Since(last) >= 5*time.Second {
			fmt.Fprintf(out, "%s: snapshot %d: %d/%d parts done, %d rows; %s\n", t.Name, snap.Generation, snap.PartsDone, snap.Parts, snap.Rows, partLines(parts))
			last = time.Now()
		}
	})
	if err != nil || !followed {
		return followed, err
	}
	fmt.Fprintf(out, "%s: snapshot %d done: %d rows in %d parts, cursor set to the bound %s\n",
		t.Name, snap.Generation, snap.Rows, snap.Parts, datasync.Position{Cursor: snap.Bound})
	return true, nil
}

func partLines(parts []datasync.PartState) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		state := "done"
		if !p.Done {
			k := "-"
			if p.Last != nil {
				k, _ = datasync.EncodeKey(p.Last)
			}
			state = "after " + k
		}
		out[i] = fmt.Sprintf("part %d: %d rows, %s", p.Part+1, p.Rows, state)
	}
	return strings.Join(out, "; ")
}
