package queue

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/syncd/syncd/tables"
)

// RedisConnOpt turns the redis section of syncd.yaml into Asynq's
// connection options: a single server, Sentinel, or a cluster.
func RedisConnOpt(r tables.Redis) asynq.RedisConnOpt {
	var tc *tls.Config
	if r.TLS {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch {
	case len(r.SentinelAddrs) > 0:
		return asynq.RedisFailoverClientOpt{
			MasterName: r.MasterName, SentinelAddrs: r.SentinelAddrs,
			Username: r.Username, Password: r.Password, DB: r.DB, TLSConfig: tc,
		}
	case len(r.ClusterAddrs) > 0:
		return asynq.RedisClusterClientOpt{
			Addrs: r.ClusterAddrs, Username: r.Username, Password: r.Password, TLSConfig: tc,
		}
	}
	return asynq.RedisClientOpt{Addr: r.Addr, Username: r.Username, Password: r.Password, DB: r.DB, TLSConfig: tc}
}

// redisName says which Redis opt connects to, for errors; never with its
// password.
func redisName(opt asynq.RedisConnOpt) string {
	switch o := opt.(type) {
	case asynq.RedisFailoverClientOpt:
		return fmt.Sprintf("sentinel %s at %s", o.MasterName, strings.Join(o.SentinelAddrs, ","))
	case asynq.RedisClusterClientOpt:
		return "cluster " + strings.Join(o.Addrs, ",")
	case asynq.RedisClientOpt:
		return o.Addr
	}
	return ""
}

// RedisError rewrites an error of Asynq or go-redis that comes from a
// Redis that cannot be reached ("UNKNOWN: redis command error: ...: dial
// tcp ...") into one line naming the Redis of opt; other errors are
// returned as they are.
func RedisError(opt asynq.RedisConnOpt, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && redisName(opt) == "" {
		return fmt.Errorf("redis is not reachable: %w", op)
	}
	if errors.As(err, &op) {
		return fmt.Errorf("redis at %s is not reachable: %w", redisName(opt), op)
	}
	return err
}

// quietRedis drops go-redis's own log lines ("connection pool: failed to
// dial after 5 attempts", one per attempt): the error each call returns
// says the same once, where syncd reports it.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// QuietRedisLog stops go-redis from printing to the standard logger. It
// sets a package variable of go-redis: call it once, at start.
func QuietRedisLog() { redis.SetLogger(quietRedis{}) }

// PingRedis returns an error naming the Redis of opt when it does not
// answer.
func PingRedis(ctx context.Context, opt asynq.RedisConnOpt) error {
	c, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil
	}
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		if rerr := RedisError(opt, err); rerr != err {
			return rerr
		}
		return fmt.Errorf("redis at %s: %w", redisName(opt), err)
	}
	return nil
}
