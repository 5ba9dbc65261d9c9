package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// WorkerOptions tune a worker beyond syncd.yaml; zero values take the
// defaults. Tests shorten the retry backoff.
type WorkerOptions struct {
	RetryBase, RetryMax time.Duration
}

// NewWorker returns the Asynq server of a worker: worker.concurrency
// tables at once from worker.queues, retries with jittered exponential
// backoff, and worker.shutdown_timeout for running syncs to finish on
// shutdown before their tasks go back to the queue.
func NewWorker(cfg *tables.Config, log zerolog.Logger, o WorkerOptions) *asynq.Server {
	if o.RetryBase == 0 {
		o.RetryBase = RetryBase
	}
	if o.RetryMax == 0 {
		o.RetryMax = RetryMax
	}
	return asynq.NewServer(RedisConnOpt(cfg.Redis), asynq.Config{
		Concurrency:     cfg.Worker.Concurrency,
		Queues:          cfg.Worker.Queues,
		ShutdownTimeout: cfg.Worker.ShutdownTimeout,
		// Asynq's default (1s) is how long an idle worker waits before it
		// looks at its queues again: up to a second added to every run's
		// freshness. Five looks a second per idle slot cost Redis little.
		TaskCheckInterval: 200 * time.Millisecond,
		RetryDelayFunc:    RetryDelay(o.RetryBase, o.RetryMax),
		Logger:            loggerFor(log, RedisConnOpt(cfg.Redis)),
		LogLevel:          asynqLevel(log),
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
			// The engine has logged the run; this says what the queue does next.
			n, _ := asynq.GetRetryCount(ctx)
			max, _ := asynq.GetMaxRetry(ctx)
			p, _ := ParsePayload(task.Payload())
			ev := log.Warn().Err(err).Str(datasync.FieldTable, p.Table).Str("task", task.Type()).Int("retried", n).Int("max_retry", max)
			if errors.Is(err, errBusy) && n < max {
				log.Info().Err(err).Str(datasync.FieldTable, p.Table).Str("task", task.Type()).Int("retried", n).Msg("the table's other task is running; retrying after it")
				return
			}
			if errors.Is(err, asynq.SkipRetry) || n >= max {
				ev.Msg(what(task) + " failed; task archived (the table's schedule enqueues it again)")
				return
			}
			ev.Msg(what(task) + " failed; retrying with backoff")
		}),
	})
}

// Mux routes sync:table, reconcile:table and snapshot:part tasks to h.
func Mux(h *Handler) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Handle(TypeSyncTable, h)
	mux.HandleFunc(TypeReconcileTable, h.processReconcile)
	mux.Handle(TypeSnapshotPart, h)
	return mux
}

// Logger adapts zerolog to Asynq's logger. While Redis cannot be reached,
// Asynq's many lines about it ("UNKNOWN: redis command error: SADD
// failed: dial tcp ...", from each of its loops) become one line a
// minute that names the address.
func Logger(log zerolog.Logger) asynq.Logger { return loggerFor(log, nil) }

// loggerFor is Logger for the Redis of opt: its lines about that Redis
// being down are the process's one line a minute (see redisWatch).
func loggerFor(log zerolog.Logger, opt asynq.RedisConnOpt) asynq.Logger {
	return asynqLogger{log: log.With().Str("component", "asynq").Logger(), down: watchOf(opt)}
}

type asynqLogger struct {
	log  zerolog.Logger
	down *redisWatch
}

func (l asynqLogger) Debug(args ...any) { l.emit(zerolog.DebugLevel, args) }
func (l asynqLogger) Info(args ...any)  { l.emit(zerolog.InfoLevel, args) }
func (l asynqLogger) Warn(args ...any)  { l.emit(zerolog.WarnLevel, args) }
func (l asynqLogger) Error(args ...any) { l.emit(zerolog.ErrorLevel, args) }
func (l asynqLogger) Fatal(args ...any) { l.log.Fatal().Msg(fmt.Sprint(args...)) }

func (l asynqLogger) emit(level zerolog.Level, args []any) {
	msg := fmt.Sprint(args...)
	if strings.HasPrefix(msg, "Retry exhausted for task") {
		// Asynq says so of every task it archives, also of one never
		// retried (a permanent failure); the worker's error handler has
		// said it once, with the table and the error.
		return
	}
	detail, down := redisDownDetail(msg)
	if !down {
		l.log.WithLevel(level).Msg(msg)
		return
	}
	l.down.report(l.log, detail)
}

// asynqLevel keeps Asynq's own chatter (a line per registered entry, per
// start and stop) at warnings unless syncd logs at debug.
func asynqLevel(log zerolog.Logger) asynq.LogLevel {
	if log.GetLevel() <= zerolog.DebugLevel {
		return asynq.DebugLevel
	}
	return asynq.WarnLevel
}

// what names what a task does, for the worker's log: sync or reconcile.
func what(task *asynq.Task) string {
	if task.Type() == TypeReconcileTable {
		return "reconcile"
	}
	return "sync"
}
