package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// change is one churned row: its table, id and commit time.
type change struct {
	table     int
	id        int64
	committed time.Time
}

// churn changes one row of a random table every 1/-many-churn seconds for
// d, and returns the changes whose row was changed only once.
func (b *bench) churn(ctx context.Context, tables int, d time.Duration) ([]change, error) {
	tick := time.NewTicker(time.Second / time.Duration(b.o.manyChurn))
	defer tick.Stop()
	end := time.Now().Add(d)
	last := map[[2]int64]int{}
	var out []change
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		c := change{table: rand.IntN(tables) + 1, id: rand.Int64N(int64(b.o.manyRows)) + 1}
		q := fmt.Sprintf("UPDATE m_%d SET name = $1, updated_at = clock_timestamp() WHERE id = $2", c.table)
		if _, err := b.pg.ExecContext(ctx, q, fmt.Sprintf("change %d", len(out)), c.id); err != nil {
			return nil, err
		}
		c.committed = time.Now()
		if i, ok := last[[2]int64{int64(c.table), c.id}]; ok {
			out[i].table = 0 // changed again: its first change cannot be timed
		}
		last[[2]int64{int64(c.table), c.id}] = len(out)
		out = append(out, c)
	}
	kept := out[:0]
	for _, c := range out {
		if c.table != 0 {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// delays reads when each change arrived (synced_at, stamped by the target
// server on the same clock) and returns its delay from the commit.
func (b *bench) delays(ctx context.Context, changes []change) ([]time.Duration, error) {
	var out []time.Duration
	for _, c := range changes {
		// syncd's sessions run in UTC, so the server stamps UTC, and the
		// driver reads it as UTC.
		var at time.Time
		q := fmt.Sprintf("SELECT synced_at FROM m_%d WHERE id = ?", c.table)
		if err := b.my.QueryRowContext(ctx, q, c.id).Scan(&at); err != nil {
			return nil, err
		}
		if at.Before(c.committed.Add(-time.Second)) {
			// Not there yet: counted as late as the time waited, at least.
			out = append(out, time.Since(c.committed))
			continue
		}
		out = append(out, max(0, at.Sub(c.committed)))
	}
	return out, nil
}
