package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Rates holds each table's source reads to its rate: (tables.Table.Rate),
// in Redis, so that the limit is the table's whatever the number of runs,
// snapshot parts, workers and machines reading it at once.
//
// It is GCRA (the generic cell rate algorithm) without tolerance, in a
// script of our own: one key per table holds the time at which the rows
// charged so far are paid for (the "theoretical arrival time"); charging n
// rows moves it by n/rate from itself or from now, whichever is later, and
// the caller waits until its old value. Twelve lines of Lua, against a
// library that would add a dependency for a bucket whose burst and refill
// semantics are not the ones wanted here (charge rows after a read, wait
// for the debt before it), and Redis's clock (TIME), not the workers',
// which may disagree.
type Rates struct {
	rdb redis.UniversalClient
}

// NewRates connects to the Redis of opt. Close releases the connection.
func NewRates(opt asynq.RedisConnOpt) *Rates {
	return &Rates{rdb: opt.MakeRedisClient().(redis.UniversalClient)}
}

// Close closes the Redis connection.
func (r *Rates) Close() error { return r.rdb.Close() }

// For returns the limiter of t, or nil when t's reads are unlimited (or r
// is nil).
func (r *Rates) For(t tables.Table) datasync.Limiter {
	if r == nil || t.Rate <= 0 {
		return nil
	}
	return rateLimiter{rdb: r.rdb, key: rateKey(t.Name), usPerRow: 1e6 / float64(t.Rate)}
}

// rateKey is the Redis key of a table's rate; syncd's own prefix keeps it
// apart from Asynq's keys.
func rateKey(table string) string { return "syncd:rate:{" + table + "}" }

type rateLimiter struct {
	rdb      redis.UniversalClient
	key      string
	usPerRow float64
}

// rateScript charges ARGV[2] rows at ARGV[1] microseconds a row to the
// table of KEYS[1] and returns how many microseconds the caller waits:
// until the rows charged before are paid for. The key expires a minute
// after the last charge is paid, when it no longer holds anything back.
var rateScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paid = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(paid, now)
local after = start + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.floor((after - now) / 1000) + 60000)
return math.floor(start - now)`)

// Wait implements datasync.Limiter.
func (l rateLimiter) Wait(ctx context.Context, rows int) error {
	us, err := rateScript.Run(ctx, l.rdb, []string{l.key}, l.usPerRow, rows).Int64()
	if err != nil {
		return fmt.Errorf("charge %d rows to %s in redis: %w", rows, l.key, err)
	}
	if us <= 0 {
		return nil
	}
	tm := time.NewTimer(time.Duration(us) * time.Microsecond)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
