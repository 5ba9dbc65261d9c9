package connect

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// JobMaxAge is how long Jobs keeps a table's setup before making it
// again. Between runs a kept setup is checked against the source with one
// probe (datasync.ShapeChecker); the catalog (declared lengths the driver
// does not report, indexes) is read again at least this often.
const JobMaxAge = time.Hour

// Jobs keeps, for the life of a worker process, what the runs of each
// table need: the target's description, the source's probe, the mapping,
// and the state tables ensured once per target connection. A table's
// setup is made again when its declaration changes, when the source's
// columns change, when it is older than JobMaxAge, and after a run that
// failed (its cause may be a stale setup). Safe for use by many tasks.
type Jobs struct {
	pools  *Pools
	maxAge time.Duration

	mu      sync.Mutex
	kept    map[string]*keptJob
	ensured map[string]bool // target connections whose state tables are ensured
}

// keptJob is one table's setup between runs.
type keptJob struct {
	job   *Job
	table tables.Table
	built time.Time
	// checked is set once a run with this setup compared the source's
	// columns with the ones kept in the target, and went through.
	checked bool
	busy    bool
}

// NewJobs returns an empty Jobs over p.
func NewJobs(p *Pools) *Jobs {
	return &Jobs{pools: p, maxAge: JobMaxAge, kept: map[string]*keptJob{}, ensured: map[string]bool{}}
}

// Kept reports whether a setup of t is kept and may be used as it is:
// the next Take of t then reads nothing before the run does.
func (j *Jobs) Kept(t tables.Table) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.usable(j.kept[t.Name], t)
}

func (j *Jobs) usable(k *keptJob, t tables.Table) bool {
	return k != nil && !k.busy && k.checked && time.Since(k.built) < j.maxAge && reflect.DeepEqual(k.table, t)
}

// Take returns a Job for one run of t, and whether it is a kept setup
// (datasync.Options.Cached). Every Take is followed by one Give.
func (j *Jobs) Take(ctx context.Context, t tables.Table) (*Job, bool, error) {
	j.mu.Lock()
	k := j.kept[t.Name]
	if j.usable(k, t) {
		k.busy = true
		j.mu.Unlock()
		return k.job, true, nil
	}
	// A second run of the table at once (Asynq delivers at least once)
	// gets a setup of its own, closed after it.
	keep := k == nil || !k.busy
	ready := j.ensured[t.Target.Connection]
	j.mu.Unlock()
	job, err := j.build(ctx, t, ready)
	if err != nil || !keep {
		return job, false, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if old := j.kept[t.Name]; old != nil && !old.busy {
		old.job.Close()
	}
	j.kept[t.Name] = &keptJob{job: job, table: t, built: time.Now(), busy: true}
	return job, false, nil
}

// build makes the setup of t, ensuring the state tables of its target
// connection once.
func (j *Jobs) build(ctx context.Context, t tables.Table, ready bool) (*Job, error) {
	if !ready {
		if _, err := StateDB(ctx, j.pools, t); err != nil {
			return nil, err
		}
		j.mu.Lock()
		j.ensured[t.Target.Connection] = true
		j.mu.Unlock()
	}
	return open(ctx, j.pools, t, true)
}

// Give hands back the Job of a run of t that ended with err. Its page
// statements are released, so that the server holds prepared statements
// only for the runs under way. A run that failed for any reason but a
// pause, a newer run or a cancel drops the setup, and its target
// connection's state tables are ensured again.
func (j *Jobs) Give(job *Job, t tables.Table, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	k := j.kept[t.Name]
	if k == nil || k.job != job {
		job.Close()
		return
	}
	k.busy = false
	job.Target.Close()
	if err == nil || datasync.IsPaused(err) || datasync.IsFenced(err) || errors.Is(err, context.Canceled) {
		k.checked = k.checked || err == nil
		return
	}
	delete(j.kept, t.Name)
	if !errors.Is(err, datasync.ErrSetupStale) {
		delete(j.ensured, t.Target.Connection)
	}
}
