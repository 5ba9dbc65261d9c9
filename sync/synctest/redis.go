package synctest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisAddr is the test Redis; SYNCD_TEST_REDIS_ADDR moves it.
var RedisAddr = env("SYNCD_TEST_REDIS_ADDR", "127.0.0.1:6379")

// Redis returns the address of the test Redis after checking that it
// answers. Tests keep out of each other's way with a queue of their own
// (UniqueName) and delete it when done.
func Redis(t testing.TB) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		unreachable(t, "Redis at "+RedisAddr, `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""`, err)
	}
	return RedisAddr
}
