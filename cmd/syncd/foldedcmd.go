package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// printFolded says, below syncd runs' list, how many scheduled runs
// found nothing and are folded into the table's state rather than listed.
func printFolded(ctx context.Context, w io.Writer, o *ops.Service, t tables.Table, f state.RunFilter) error {
	if f.Failed {
		return nil
	}
	folded, err := o.Folded(ctx, t)
	if err != nil || folded.Ended == nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%d scheduled runs found nothing to read and are not listed; the newest ended %s\n",
		folded.Count, folded.Ended.Format(time.DateTime))
	return err
}
