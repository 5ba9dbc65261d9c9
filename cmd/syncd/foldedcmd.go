package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/syncd/syncd/sync/state"
)

// printFolded says, below syncd runs' list, how many scheduled runs
// found nothing and are folded into the table's state rather than listed.
func printFolded(ctx context.Context, w io.Writer, db *sql.DB, f state.RunFilter) error {
	if f.Failed {
		return nil
	}
	folded, err := state.New(db).ReadFolded(ctx, f.Table)
	if err != nil || folded.Ended == nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%d scheduled runs found nothing to read and are not listed; the newest ended %s\n",
		folded.Count, folded.Ended.Format(time.DateTime))
	return err
}
