package datasync

import (
	"context"
	"fmt"
)

// Limiter holds a table's reads to a rate (tables.Table.Rate), across all
// the runs, parts and workers of the table that share it.
type Limiter interface {
	// Wait charges rows just read to the table and returns once the rows
	// read before them are paid for at the rate: a reader that keeps
	// calling it reads at most one page ahead of the rate.
	Wait(ctx context.Context, rows int) error
}

// waitRate charges a page read to the table's limiter, if it has one.
func waitRate(ctx context.Context, lim Limiter, table string, rows int) error {
	if lim == nil || rows == 0 {
		return nil
	}
	if err := lim.Wait(ctx, rows); err != nil {
		return fmt.Errorf("wait for the read rate of %s: %w", table, err)
	}
	return nil
}
