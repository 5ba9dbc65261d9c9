package tables

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadConfigText(t *testing.T, text string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "syncd.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return LoadConfig(path)
}

func TestProcessSectionsDefaults(t *testing.T) {
	cfg, err := loadConfigText(t, "connections: {}\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redis.Addr != DefaultRedisAddr || cfg.Worker.Concurrency != DefaultConcurrency ||
		cfg.Worker.Queues[DefaultQueue] != 1 || len(cfg.Worker.Queues) != 1 ||
		cfg.Worker.ShutdownTimeout != DefaultShutdownTimeout || cfg.HTTP.Listen != DefaultListen {
		t.Fatalf("defaults: redis %+v worker %+v http %+v", cfg.Redis, cfg.Worker, cfg.HTTP)
	}
	// An explicit empty listen turns the HTTP server off.
	if cfg, err := loadConfigText(t, "http: {listen: \"\"}\n"); err != nil || cfg.HTTP.Listen != "" {
		t.Fatalf("listen \"\": %q, %v; want off", cfg.HTTP.Listen, err)
	}
	// Sentinel needs no addr.
	cfg, err = loadConfigText(t, "redis: {master_name: mymaster, sentinel_addrs: ['10.0.0.1:26379']}\n")
	if err != nil || cfg.Redis.Addr != "" {
		t.Fatalf("sentinel: addr %q, %v", cfg.Redis.Addr, err)
	}
}

func TestProcessSectionsFromEnvironment(t *testing.T) {
	t.Setenv("SYNCD_REDIS_PASSWORD", "from-env")
	t.Setenv("SYNCD_WORKER_CONCURRENCY", "9")
	t.Setenv("SYNCD_HTTP_PASSWORD", "web-secret")
	cfg, err := loadConfigText(t, "http: {username: ops}\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redis.Password != "from-env" || cfg.Worker.Concurrency != 9 || cfg.HTTP.Password != "web-secret" {
		t.Fatalf("redis %+v worker %+v http %+v", cfg.Redis, cfg.Worker, cfg.HTTP)
	}
}

func TestProcessSectionsBadValues(t *testing.T) {
	for text, want := range map[string][]string{
		"redis: {addr: localhost}\n":                                      {"redis.addr", `"localhost"`, "host:port"},
		"redis: {addr: 'a:1', cluster_addrs: ['b:2']}\n":                  {"redis: ", "more than one"},
		"redis: {sentinel_addrs: ['a:1']}\n":                              {"redis.master_name", "missing"},
		"redis: {db: 16}\n":                                               {"redis.db", "16", "0 to 15"},
		"worker: {concurrency: -1}\n":                                     {"worker.concurrency", "1 to 1000"},
		"worker: {queues: {syncd: 0}}\n":                                  {"worker.queues.syncd", "weight"},
		"worker: {shutdown_timeout: -1s}\n":                               {"worker.shutdown_timeout"},
		"http: {listen: ':x:'}\n":                                         {"http.listen"},
		"http: {password: p}\n":                                           {"http.username"},
		"defaults: {queue: 'a b'}\n":                                      {"defaults.queue", `"a b"`},
		"worker: {concurency: 3}\n":                                       {"worker.concurency", "concurrency"},
		"redis: {adr: 'x:1'}\n":                                           {"redis.adr", "addr"},
		"worker: {concurrency: many}\n":                                   {"worker.concurrency"},
		"worker: {shutdown_timeout: soon}\n":                              {"worker.shutdown_timeout"},
		"redis: {addr: 'a:1', sentinel_addrs: ['b:2'], master_name: m}\n": {"more than one"},
	} {
		_, err := loadConfigText(t, text)
		if err == nil {
			t.Errorf("%q: no error", text)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not say %q", text, err, w)
			}
		}
		if !strings.Contains(err.Error(), "syncd.yaml") {
			t.Errorf("%q: error %q does not name the file", text, err)
		}
	}
}

func TestTableQueue(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.yaml")
	base := "source: {connection: src, table: t, key: [id], cursor: c}\ntarget: {connection: tgt, table: t}\n"
	if err := os.WriteFile(path, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	tb, err := LoadTable(path, nil)
	if err != nil || tb.Queue != DefaultQueue {
		t.Fatalf("queue %q, %v; want the default %q", tb.Queue, err, DefaultQueue)
	}
	if err := os.WriteFile(path, []byte(base+"queue: heavy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tb, err := LoadTable(path, nil); err != nil || tb.Queue != "heavy" {
		t.Fatalf("queue %q, %v; want heavy", tb.Queue, err)
	}
	if err := os.WriteFile(path, []byte(base+"queue: 'x}y'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTable(path, nil); !errors.Is(err, ErrBadValue) {
		t.Fatalf("queue x}y: %v; want ErrBadValue", err)
	}
}
