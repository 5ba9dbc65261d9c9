package queue

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
)

// redisDownEvery is how often, at most, a process says that its Redis
// cannot be reached, whichever of its parts (worker loops, scheduler,
// metrics, web UI) found out.
const redisDownEvery = time.Minute

// redisBackPoll is how often a process whose Redis went away asks it
// again, to say once that it answers.
const redisBackPoll = time.Second

// redisWatch is what a process knows of a Redis that does not answer:
// one per Redis, shared by every logger of the process, so that the
// worker, the scheduler and the metrics together say it in one line a
// minute, naming the address, and in one line when it answers again.
type redisWatch struct {
	opt  asynq.RedisConnOpt
	name string
	mu   sync.Mutex
	last time.Time // the newest line saying it is down
	down bool      // an outage is under way
	said bool      // and a line said so
}

var redisWatches = struct {
	sync.Mutex
	m map[string]*redisWatch
}{m: map[string]*redisWatch{}}

// watchOf returns the process's watch of the Redis of opt; nil opt (a
// logger that does not know its Redis) has a watch of its own.
func watchOf(opt asynq.RedisConnOpt) *redisWatch {
	if opt == nil {
		return &redisWatch{}
	}
	name := redisName(opt)
	redisWatches.Lock()
	defer redisWatches.Unlock()
	w, ok := redisWatches.m[name]
	if !ok {
		w = &redisWatch{opt: opt, name: name}
		redisWatches.m[name] = w
	}
	return w
}

// report says that Redis cannot be reached, with detail (the network
// error), unless it was said less than a minute ago; the first report of
// an outage also starts waiting for Redis to answer again.
func (w *redisWatch) report(log zerolog.Logger, detail string) {
	w.mu.Lock()
	now := time.Now()
	due := now.Sub(w.last) >= redisDownEvery
	if due {
		w.last, w.said = now, true
	}
	first := !w.down && w.opt != nil
	w.down = true
	w.mu.Unlock()
	if due {
		ev := log.Error().Str("error", detail)
		if w.name != "" {
			ev = ev.Str("redis", w.name)
		}
		ev.Msg("redis is not reachable; the queue keeps trying")
	}
	if first {
		go w.waitBack(log)
	}
}

// waitBack asks Redis until it answers, then says so once, when a line
// said it was down. The minute between two lines saying it is down holds
// across outages: a failure that happened just before Redis came back,
// reported just after, is not a second line.
func (w *redisWatch) waitBack(log zerolog.Logger) {
	for {
		time.Sleep(redisBackPoll)
		ctx, cancel := context.WithTimeout(context.Background(), redisBackPoll)
		err := PingRedis(ctx, w.opt)
		cancel()
		if err == nil {
			break
		}
	}
	w.mu.Lock()
	said := w.said
	w.down, w.said = false, false
	w.mu.Unlock()
	if said {
		log.Info().Str("redis", w.name).Msg("redis answers again; the queue goes on")
	}
}

// redisDownDetail returns the network error in msg, a line of Asynq,
// go-redis or a collector, when it says Redis cannot be reached ("...:
// dial tcp 127.0.0.1:6379: connect: connection refused"); ok is false
// for any other line.
func redisDownDetail(msg string) (detail string, ok bool) {
	for _, mark := range []string{"dial tcp ", "read tcp ", "write tcp ", "dial unix "} {
		if i := strings.Index(msg, mark); i >= 0 {
			return msg[i:], true
		}
	}
	return "", false
}

// StdLog returns a writer for the standard library's logger (log.SetOutput):
// packages that print through it (Asynq's metrics collector, the web
// UI) then log through log, in its format, a Redis that cannot be reached
// said as the rest of the process says it.
func StdLog(log zerolog.Logger, opt asynq.RedisConnOpt) io.Writer {
	return stdLog{l: asynqLogger{log: log.With().Str("component", "stdlog").Logger(), down: watchOf(opt)}}
}

type stdLog struct{ l asynqLogger }

func (s stdLog) Write(p []byte) (int, error) {
	s.l.emit(zerolog.WarnLevel, []any{strings.TrimRight(string(p), "\n")})
	return len(p), nil
}

// logScheduledFailure logs a scheduled enqueue that failed for another
// reason than a task already there: one line for the table, or, when
// Redis cannot be reached, the process's one line about that.
func logScheduledFailure(log zerolog.Logger, w *redisWatch, table string, err error) {
	if detail, ok := redisDownDetail(err.Error()); ok {
		w.report(log, detail)
		return
	}
	log.Error().Err(err).Str("table", table).Msg("scheduled enqueue failed")
}

// ReportRedisDown logs err, from asking the Redis of opt at start, as
// the process's line about that Redis (see StdLog): a Redis that cannot
// be reached is said once, and again at most once a minute by whichever
// part of the process finds it still down.
func ReportRedisDown(log zerolog.Logger, opt asynq.RedisConnOpt, err error) {
	if detail, ok := redisDownDetail(err.Error()); ok {
		watchOf(opt).report(log, detail)
		return
	}
	log.Error().Err(err).Msg("the queue waits for redis")
}
