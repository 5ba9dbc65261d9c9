package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/tables"
)

// followSnapshot waits, after the table's task has left the queue, for
// the snapshot it began or found to end, printing its parts' progress
// every few seconds; followed is false when no snapshot runs.
func followSnapshot(ctx context.Context, out io.Writer, db *sql.DB, t tables.Table, every time.Duration) (followed bool, err error) {
	snap, parts, ok, err := mysql.ReadSnapshot(ctx, db, t.Name)
	if err != nil || !ok || !snap.Running {
		return false, err
	}
	gen, last := snap.Generation, time.Time{}
	for snap.Running && snap.Generation == gen {
		if time.Since(last) >= 5*every {
			fmt.Fprintf(out, "%s: snapshot %d: %d/%d parts done, %d rows; %s\n", t.Name, gen, snap.PartsDone, snap.Parts, snap.Rows, partLines(parts))
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(every):
		}
		if snap, parts, _, err = mysql.ReadSnapshot(ctx, db, t.Name); err != nil {
			return true, err
		}
	}
	if snap.Generation != gen || !snap.Done {
		return true, fmt.Errorf("%s: snapshot %d was given up (a --full began snapshot %d)", t.Name, gen, snap.Generation)
	}
	fmt.Fprintf(out, "%s: snapshot %d done: %d rows in %d parts, cursor set to the bound %s\n",
		t.Name, gen, snap.Rows, snap.Parts, datasync.Position{Cursor: snap.Bound})
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
