package queue_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/syncd/syncd/sync/synctest"
)

// Tests reach Redis in the database SYNCD_TEST_REDIS_DB names, and leave
// database 0 alone when another is chosen: run under database 0, this
// test runs itself again under database 9, where a task queued through a
// syncd.yaml and the Enqueuer lands.
func TestTestsUseTheChosenRedisDB(t *testing.T) {
	if synctest.RedisDB == 0 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTestsUseTheChosenRedisDB$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "SYNCD_TEST_REDIS_DB=9")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTestsUseTheChosenRedisDB") {
			t.Fatalf("under SYNCD_TEST_REDIS_DB=9: %v\n%s", err, out)
		}
		return
	}
	f := newFixture(t, fixtureOptions{})
	f.declare("items", "@daily")
	if _, err := f.enq.Enqueue(context.Background(), f.table("items"), "manual"); err != nil {
		t.Fatal(err)
	}
	pending := "asynq:{" + f.queue + "}:pending"
	for db, want := range map[int]int64{synctest.RedisDB: 1, 0: 0} {
		c := redis.NewClient(&redis.Options{Addr: f.cfg.Redis.Addr, DB: db})
		n, err := c.LLen(context.Background(), pending).Result()
		c.Close()
		if err != nil || n != want {
			t.Errorf("Redis database %d holds %d tasks in %s (%v), want %d", db, n, pending, err, want)
		}
	}
}
