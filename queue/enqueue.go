package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// conn is what enqueueing needs of Redis: Asynq's client and inspector,
// and a plain client for the one repair Asynq has no call for.
type conn struct {
	client    *asynq.Client
	inspector *asynq.Inspector
	rdb       redis.UniversalClient
	opt       asynq.RedisConnOpt
}

func newConn(opt asynq.RedisConnOpt) conn {
	return conn{client: asynq.NewClient(opt), inspector: asynq.NewInspector(opt), rdb: opt.MakeRedisClient().(redis.UniversalClient), opt: opt}
}

func (c conn) close() error {
	return errors.Join(c.client.Close(), c.inspector.Close(), c.rdb.Close())
}

// Enqueuer puts sync:table tasks on the queue.
type Enqueuer struct {
	conn
}

// NewEnqueuer connects to the queue's Redis.
func NewEnqueuer(opt asynq.RedisConnOpt) *Enqueuer {
	return &Enqueuer{conn: newConn(opt)}
}

// Close closes the connections.
func (e *Enqueuer) Close() error { return e.close() }

// Inspector returns the queue inspector the enqueuer uses.
func (e *Enqueuer) Inspector() *asynq.Inspector { return e.inspector }

// Outcome is what an enqueue did.
type Outcome struct {
	// Queued is true when this call put the task on the queue.
	Queued bool
	// Already is the state of the table's task that was already there
	// (pending, active, scheduled, retry) when Queued is false.
	Already string
	// RunNow is true when an already queued task waiting for its retry or
	// its time was moved to run now.
	RunNow bool
	// ClearedArchived is true when an archived task of the table, or what
	// was left of a task Redis lost, had to be deleted first: it would have
	// blocked every enqueue of the table.
	ClearedArchived bool
}

func (o Outcome) String() string {
	switch {
	case o.Queued && o.ClearedArchived:
		return "queued (an archived or lost task of the table was cleared)"
	case o.Queued:
		return "queued"
	case o.RunNow:
		return "already queued (" + o.Already + "); moved to run now"
	default:
		return "already queued (" + o.Already + ")"
	}
}

// Enqueue puts a sync of t on its queue with trigger. A task of t that is
// already queued or running is not an error: the Outcome says so, and a
// manual enqueue moves one waiting for a retry to run now.
func (e *Enqueuer) Enqueue(ctx context.Context, t tables.Table, trigger string) (Outcome, error) {
	return e.EnqueuePayload(ctx, t, Payload{Trigger: trigger})
}

// EnqueuePayload is Enqueue with every field of the payload; its Table
// is t's name whatever it says.
func (e *Enqueuer) EnqueuePayload(ctx context.Context, t tables.Table, p Payload) (Outcome, error) {
	trigger := p.Trigger
	task, opts, err := newTask(t, p)
	if err != nil {
		return Outcome{}, err
	}
	out, err := e.enqueue(ctx, task, opts, queueOf(t), TaskID(t.Name))
	if err != nil || out.Queued || trigger == datasync.TriggerSchedule {
		return out, err
	}
	if out.Already == stateName(asynq.TaskStateRetry) || out.Already == stateName(asynq.TaskStateScheduled) {
		if err := e.inspector.RunTask(queueOf(t), TaskID(t.Name)); err == nil {
			out.RunNow = true
		}
	}
	return out, nil
}

// enqueue enqueues task under id in queue. An archived task with the same
// id (a sync that failed past its retries) blocks every later enqueue of
// the table, so the table would silently stop syncing: it is deleted and
// the enqueue tried once more.
func (cn conn) enqueue(ctx context.Context, task *asynq.Task, opts []asynq.Option, queue, id string) (Outcome, error) {
	c, in := cn.client, cn.inspector
	_, err := c.EnqueueContext(ctx, task, opts...)
	if err == nil {
		return Outcome{Queued: true}, nil
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return Outcome{}, fmt.Errorf("enqueue %s: %w", id, RedisError(cn.opt, err))
	}
	info, ierr := in.GetTaskInfo(queue, id)
	if errors.Is(ierr, asynq.ErrTaskNotFound) {
		// Finished between the two calls: try again once.
		if _, err = c.EnqueueContext(ctx, task, opts...); err == nil {
			return Outcome{Queued: true}, nil
		}
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return Outcome{Already: "pending"}, nil
		}
		return Outcome{}, fmt.Errorf("enqueue %s: %w", id, err)
	}
	if ierr != nil {
		// A task hash without a state: a running sync wrote its progress
		// after Redis lost the task (flushed, restarted empty, the task
		// deleted). Asynq counts the id as taken and cannot read or delete
		// it, so the table would never be enqueued again.
		if cn.dropStateless(ctx, queue, id) {
			if _, err := c.EnqueueContext(ctx, task, opts...); err == nil {
				return Outcome{Queued: true, ClearedArchived: true}, nil
			}
		}
		return Outcome{}, fmt.Errorf("enqueue %s: inspect the task already there: %w", id, ierr)
	}
	if info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted {
		return Outcome{Already: stateName(info.State)}, nil
	}
	if err := in.DeleteTask(queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return Outcome{}, fmt.Errorf("enqueue %s: delete the archived task that blocks it: %w", id, err)
	}
	if _, err := c.EnqueueContext(ctx, task, opts...); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return Outcome{Already: "pending"}, nil
		}
		return Outcome{}, fmt.Errorf("enqueue %s: %w", id, err)
	}
	return Outcome{Queued: true, ClearedArchived: true}, nil
}

// dropStateless deletes the hash of task id in queue if it has no state
// field, atomically, and reports whether it did. The key is Asynq's
// layout (asynq:{QUEUE}:t:ID, v0.26); TestStatelessTaskHashIsRepaired
// pins it.
func (cn conn) dropStateless(ctx context.Context, queue, id string) bool {
	key := "asynq:{" + queue + "}:t:" + id
	n, err := dropStatelessScript.Run(ctx, cn.rdb, []string{key}).Int()
	return err == nil && n == 1
}

var dropStatelessScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[1], 'state') == 0 then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// stateName names a task state as the web UI does.
func stateName(s asynq.TaskState) string { return s.String() }

// NewScheduler returns the periodic task manager that enqueues every
// declared table on its schedule. It asks the catalog for the tables
// every interval (the catalog reloads only when a file changed), so a
// new or edited declaration is scheduled within interval. Two schedulers
// on one Redis both enqueue every tick; the task id turns the second into
// "already queued", so a table still runs once at a time.
func NewScheduler(cfg *tables.Config, cat *Catalog, log zerolog.Logger, interval time.Duration) (*asynq.PeriodicTaskManager, error) {
	opt := RedisConnOpt(cfg.Redis)
	cn := newConn(opt)
	return asynq.NewPeriodicTaskManager(asynq.PeriodicTaskManagerOpts{
		PeriodicTaskConfigProvider: &provider{cat: cat, cn: cn, log: log},
		RedisConnOpt:               opt,
		SyncInterval:               interval,
		SchedulerOpts: &asynq.SchedulerOpts{
			Logger:   loggerFor(log, opt),
			LogLevel: asynqLevel(log),
			// PostEnqueueFunc is not told which task failed; this is.
			EnqueueErrorHandler: func(task *asynq.Task, opts []asynq.Option, err error) { //nolint:staticcheck
				onScheduledConflict(cn, log, watchOf(opt), task, opts, err)
			},
		},
	})
}

// onScheduledConflict handles a failed scheduled enqueue: "already queued"
// is normal and quiet; an archived task blocking the table is cleared and
// the table enqueued; anything else is logged.
func onScheduledConflict(cn conn, log zerolog.Logger, down *redisWatch, task *asynq.Task, opts []asynq.Option, err error) {
	p, _ := ParsePayload(task.Payload())
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		logScheduledFailure(log, down, p.Table, err)
		return
	}
	out, err := cn.enqueue(context.Background(), task, opts, entryQueue(opts), taskIDOf(task, p))
	switch {
	case err != nil:
		logScheduledFailure(log, down, p.Table, err)
	case out.ClearedArchived:
		log.Warn().Str("table", p.Table).Msg("cleared the table's archived failed task so its schedule goes on")
	default:
		log.Debug().Str("table", p.Table).Str("task", task.Type()).Str("state", out.Already).Msg("scheduled task skipped: already queued")
	}
}

// provider is the PeriodicTaskConfigProvider: one entry per declared
// table, and one more for a table that declares reconcile:. Declarations are validated by the catalog (a schedule that would
// not parse never gets here), and a broken file keeps its last good
// entry, so the manager never drops a table for a typo. A table that is
// no longer declared is unscheduled, and its archived task cleared.
type provider struct {
	cat  *Catalog
	cn   conn
	log  zerolog.Logger
	last map[string]tables.Table // the tables of the previous call, by name
}

func (p *provider) GetConfigs() ([]*asynq.PeriodicTaskConfig, error) {
	var out []*asynq.PeriodicTaskConfig
	now := map[string]tables.Table{}
	for _, t := range p.cat.Tables() {
		task, opts, err := NewTask(t, datasync.TriggerSchedule)
		if err != nil {
			return nil, err
		}
		out = append(out, &asynq.PeriodicTaskConfig{Cronspec: t.Schedule, Task: task, Opts: opts})
		now[t.Name] = t
		if t.Reconcile == "" {
			continue
		}
		if task, opts, err = NewReconcileTask(t, datasync.TriggerSchedule); err != nil {
			return nil, err
		}
		out = append(out, &asynq.PeriodicTaskConfig{Cronspec: t.Reconcile, Task: task, Opts: opts})
	}
	for name, t := range p.last {
		if _, ok := now[name]; !ok {
			p.clearArchived(t)
		}
	}
	p.last = now
	return out, nil
}

// clearArchived deletes the archived task of a table no longer declared:
// nothing will clear it otherwise, and /monitor would show its failure
// for good.
func (p *provider) clearArchived(t tables.Table) {
	for _, id := range []string{TaskID(t.Name), ReconcileTaskID(t.Name)} {
		info, err := p.cn.inspector.GetTaskInfo(queueOf(t), id)
		if err != nil || info.State != asynq.TaskStateArchived {
			continue
		}
		if err := p.cn.inspector.DeleteTask(queueOf(t), id); err != nil {
			p.log.Warn().Err(err).Str(datasync.FieldTable, t.Name).Str("task", id).Msg("unscheduled table: its archived task could not be cleared")
			continue
		}
		p.log.Info().Str(datasync.FieldTable, t.Name).Str("task", id).Msg("unscheduled table: cleared its archived task")
	}
}
