package tables

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"time"
)

// Redis is where the task queue lives. Exactly one of Addr, SentinelAddrs
// (with MasterName) or ClusterAddrs says how to reach it. Password is
// secret: set it with SYNCD_REDIS_PASSWORD rather than in YAML.
type Redis struct {
	Addr          string   `koanf:"addr"`
	Username      string   `koanf:"username"`
	Password      string   `koanf:"password"`
	DB            int      `koanf:"db"`
	TLS           bool     `koanf:"tls"`
	MasterName    string   `koanf:"master_name"`
	SentinelAddrs []string `koanf:"sentinel_addrs"`
	ClusterAddrs  []string `koanf:"cluster_addrs"`
}

// Worker sets how a worker takes tasks: how many tables it syncs at once,
// which queues it serves (name: priority weight), and how long it waits
// for running syncs on shutdown before handing them back to the queue.
type Worker struct {
	Concurrency     int            `koanf:"concurrency"`
	Queues          map[string]int `koanf:"queues"`
	ShutdownTimeout time.Duration  `koanf:"shutdown_timeout"`
}

// HTTP is the worker's HTTP server: /monitor, /healthz, /readyz. An empty
// Listen turns it off. With Username set, every page but /healthz and
// /readyz asks for basic auth; the password is best set with
// SYNCD_HTTP_PASSWORD.
type HTTP struct {
	Listen   string `koanf:"listen"`
	ReadOnly bool   `koanf:"read_only"`
	Username string `koanf:"username"`
	Password string `koanf:"password"`
}

// Defaults of the process sections of syncd.yaml.
const (
	DefaultRedisAddr       = "127.0.0.1:6379"
	DefaultQueue           = "syncd"
	DefaultConcurrency     = 4
	DefaultShutdownTimeout = 30 * time.Second
	DefaultListen          = "127.0.0.1:8080"
)

// applyProcessDefaults fills the redis, worker and http sections.
func (c *Config) applyProcessDefaults(set map[string]bool) {
	if len(c.Redis.SentinelAddrs) == 0 && len(c.Redis.ClusterAddrs) == 0 {
		c.Redis.Addr = cmp.Or(c.Redis.Addr, DefaultRedisAddr)
	}
	c.Worker.Concurrency = cmp.Or(c.Worker.Concurrency, DefaultConcurrency)
	if len(c.Worker.Queues) == 0 {
		c.Worker.Queues = map[string]int{DefaultQueue: 1}
	}
	c.Worker.ShutdownTimeout = cmp.Or(c.Worker.ShutdownTimeout, DefaultShutdownTimeout)
	if !set["http.listen"] {
		c.HTTP.Listen = DefaultListen
	}
}

// checkProcess checks the redis, worker and http sections.
func (c *Config) checkProcess(p *problems) {
	r := c.Redis
	ways := 0
	for _, used := range []bool{r.Addr != "", len(r.SentinelAddrs) > 0, len(r.ClusterAddrs) > 0} {
		if used {
			ways++
		}
	}
	if ways > 1 {
		p.addf("redis", "%w: more than one of addr, sentinel_addrs, cluster_addrs (allowed: one)", ErrBadValue)
	}
	checkHostPort(p, "redis.addr", r.Addr)
	for i, a := range r.SentinelAddrs {
		checkHostPort(p, fmt.Sprintf("redis.sentinel_addrs[%d]", i), a)
	}
	for i, a := range r.ClusterAddrs {
		checkHostPort(p, fmt.Sprintf("redis.cluster_addrs[%d]", i), a)
	}
	if len(r.SentinelAddrs) > 0 && r.MasterName == "" {
		p.addf("redis.master_name", "%w (allowed: the name Sentinel monitors, needed with sentinel_addrs)", ErrMissing)
	}
	if r.DB < 0 || r.DB > 15 && len(r.ClusterAddrs) == 0 {
		p.addf("redis.db", "%w: %d (allowed: 0 to 15)", ErrOutOfRange, r.DB)
	}
	if c.Worker.Concurrency < 1 || c.Worker.Concurrency > 1000 {
		p.addf("worker.concurrency", "%w: %d (allowed: 1 to 1000)", ErrOutOfRange, c.Worker.Concurrency)
	}
	for _, q := range slices.Sorted(maps.Keys(c.Worker.Queues)) {
		if w := c.Worker.Queues[q]; w < 1 {
			p.addf("worker.queues."+q, "%w: %d (allowed: a priority weight of 1 or more)", ErrOutOfRange, w)
		}
	}
	if c.Worker.ShutdownTimeout < 0 {
		p.addf("worker.shutdown_timeout", "%w: %v (allowed: 0s or more)", ErrOutOfRange, c.Worker.ShutdownTimeout)
	}
	checkHostPort(p, "http.listen", c.HTTP.Listen)
	if c.HTTP.Password != "" && c.HTTP.Username == "" {
		p.addf("http.username", "%w: http.password is set (allowed: a user name for basic auth)", ErrMissing)
	}
}

// checkHostPort checks an optional host:port address.
func checkHostPort(p *problems, field, addr string) {
	if addr == "" {
		return
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		p.addf(field, "%w %q (allowed: host:port, like 127.0.0.1:6379)", ErrBadValue, addr)
	}
}
