package queue

import (
	"cmp"
	"context"
	"time"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// PrunerParams configure a Pruner; zero durations and sizes take the
// defaults.
type PrunerParams struct {
	Catalog *Catalog
	Pools   *connect.Pools
	Log     zerolog.Logger
	// Interval is the time between two passes over the tables (10m).
	Interval time.Duration
	// Batch is how many runs one statement deletes at most (500), and
	// Pause the wait between two such statements (50ms), so that pruning
	// a long history never holds the run log for long.
	Batch int
	Pause time.Duration
}

// Pruner keeps each table's run log within its runs.keep: a background
// component of the worker that deletes old runs in small batches, off the
// runs' own path. Several workers pruning at once only share the work.
type Pruner struct {
	p    PrunerParams
	stop context.CancelFunc
	done chan struct{}
}

// NewPruner returns a Pruner with p; Start starts it.
func NewPruner(p PrunerParams) *Pruner {
	p.Interval = cmp.Or(p.Interval, 10*time.Minute)
	p.Batch = cmp.Or(p.Batch, 500)
	p.Pause = cmp.Or(p.Pause, 50*time.Millisecond)
	return &Pruner{p: p, done: make(chan struct{})}
}

// Start runs a pass now and then every Interval until Shutdown.
func (r *Pruner) Start() {
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go func() {
		defer close(r.done)
		tick := time.NewTicker(r.p.Interval)
		defer tick.Stop()
		for {
			r.Prune(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Shutdown stops the pruner, at the latest after the statement under way.
func (r *Pruner) Shutdown() {
	if r.stop == nil {
		return
	}
	r.stop()
	<-r.done
}

// Prune makes one pass over the declared tables and returns how many runs
// it deleted. A table whose target fails is logged and skipped.
func (r *Pruner) Prune(ctx context.Context) int64 {
	var total int64
	for _, t := range r.p.Catalog.Tables() {
		n, err := r.pruneTable(ctx, t)
		total += n
		if ctx.Err() != nil {
			return total
		}
		if err != nil {
			r.p.Log.Warn().Err(err).Str(datasync.FieldTable, t.Name).Msg("prune run log; trying again at the next pass")
		}
	}
	return total
}

// pruneTable deletes t's runs older than its runs.keep, batch by batch.
func (r *Pruner) pruneTable(ctx context.Context, t tables.Table) (int64, error) {
	db, err := r.p.Pools.DB(ctx, t.Target.Connection)
	if err != nil {
		return 0, err
	}
	before := time.Now().Add(-cmp.Or(t.Runs.Keep, tables.DefaultRunsKeep))
	var total int64
	for {
		n, err := state.New(db).PruneRuns(ctx, t.Name, before, r.p.Batch)
		total += n
		if err != nil || n < int64(r.p.Batch) {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(r.p.Pause):
		}
	}
}
