package synctest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/syncd/syncd/tables"
)

// RedisAddr is the test Redis; SYNCD_TEST_REDIS_ADDR moves it.
var RedisAddr = env("SYNCD_TEST_REDIS_ADDR", "127.0.0.1:6379")

// RedisDB is the database of the test Redis the tests use, 0 unless
// SYNCD_TEST_REDIS_DB names another: tests on a Redis that a demo or a
// worker also uses keep out of its database. Every test reaches Redis
// through RedisOpt, RedisYAML or RedisConfig, which carry it.
var RedisDB = redisDB(os.Getenv("SYNCD_TEST_REDIS_DB"))

func redisDB(v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		panic(fmt.Sprintf("SYNCD_TEST_REDIS_DB=%q: want a Redis database number, like 15", v))
	}
	return n
}

// RedisOpt is the Asynq connection to the test Redis at addr, in RedisDB.
func RedisOpt(addr string) asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: addr, DB: RedisDB}
}

// RedisConfig is syncd.yaml's redis section for the test Redis at addr.
func RedisConfig(addr string) tables.Redis { return tables.Redis{Addr: addr, DB: RedisDB} }

// RedisYAML is the value of syncd.yaml's redis: for the test Redis at
// addr, as a YAML flow mapping.
func RedisYAML(addr string) string { return fmt.Sprintf("{addr: '%s', db: %d}", addr, RedisDB) }

// Redis returns the address of the test Redis after checking that it
// answers. Tests keep out of each other's way with a queue of their own
// (UniqueName) and delete it when done.
func Redis(t testing.TB) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr, DB: RedisDB})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		unreachable(t, "Redis at "+RedisAddr, `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""`, err)
	}
	return RedisAddr
}

// DropQueue removes every key of an Asynq queue: its tasks and the
// processed and failed counters the workers keep, so a test leaves
// nothing behind in Redis.
func DropQueue(t testing.TB, addr, queue string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DB: RedisDB})
	defer c.Close()
	ctx := context.Background()
	var keys []string
	iter := c.Scan(ctx, 0, "asynq:{"+queue+"}*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		c.Del(ctx, keys...)
	}
	c.SRem(ctx, "asynq:queues", queue)
}

// DropOrphanSchedulerHistory removes the enqueue history of scheduler
// entries that no running scheduler has any more. Asynq keeps one history
// key per entry and clears it when the scheduler stops, but not when an
// entry is unregistered (a table removed or rescheduled while running).
func DropOrphanSchedulerHistory(t testing.TB, addr string) {
	t.Helper()
	in := asynq.NewInspector(RedisOpt(addr))
	defer in.Close()
	entries, err := in.SchedulerEntries()
	if err != nil {
		return
	}
	live := map[string]bool{}
	for _, e := range entries {
		live["asynq:scheduler_history:"+e.ID] = true
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DB: RedisDB})
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, "asynq:scheduler_history:*", 1000).Iterator()
	for iter.Next(ctx) {
		if !live[iter.Val()] {
			c.Del(ctx, iter.Val())
		}
	}
}
