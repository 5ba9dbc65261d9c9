package queue

import (
	"crypto/tls"

	"github.com/hibiken/asynq"

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
