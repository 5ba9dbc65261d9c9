package mysqltarget

import (
	"context"
	"database/sql"
	"errors"
)

// commit commits tx, begun with ctx. database/sql rolls a transaction
// back as soon as its context ends, and a Commit that comes after that
// returns ErrTxDone ("already committed or rolled back"), which would
// hide why: the page was rolled back because the run was cancelled or
// timed out, and that is the error a run records and its caller checks.
func commit(ctx context.Context, tx *sql.Tx) error {
	err := tx.Commit()
	if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
