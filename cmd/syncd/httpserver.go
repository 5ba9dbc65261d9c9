package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/queue/ops"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/tables"
)

// monitorPath is where the Asynq web UI is served.
const monitorPath = "/monitor"

// web is the worker's HTTP side: the status page, the API, /metrics,
// the Asynq web UI and the health checks.
type web struct {
	cfg     *tables.Config
	pools   *connect.Pools
	cat     *queue.Catalog
	redis   redis.UniversalClient
	mon     *asynqmon.HTTPHandler
	enq     *queue.Enqueuer
	ops     *ops.Service
	metrics *metrics
	// totals are the row counts of running syncs, for the live estimate.
	totals runTotals
	// ctx ends with Close; done closes when the server shuts down, which
	// ends the event streams.
	ctx      context.Context
	stop     context.CancelFunc
	done     chan struct{}
	doneOnce sync.Once
}

// newWeb returns the HTTP side of a worker whose handler reports to m.
func newWeb(cfg *tables.Config, pools *connect.Pools, cat *queue.Catalog, m *metrics) *web {
	opt := queue.RedisConnOpt(cfg.Redis)
	w := &web{
		cfg: cfg, pools: pools, cat: cat,
		redis:   opt.MakeRedisClient().(redis.UniversalClient),
		mon:     asynqmon.New(asynqmon.Options{RootPath: monitorPath, RedisConnOpt: opt, ReadOnly: cfg.HTTP.ReadOnly}),
		enq:     queue.NewEnqueuer(opt),
		metrics: m,
		done:    make(chan struct{}),
	}
	w.ctx, w.stop = context.WithCancel(context.Background())
	w.ops = ops.New(pools, w.enq)
	m.watch(w.enq.Inspector(), func(ctx context.Context) []queue.TableStatus { return w.ops.Status(ctx, cat.Tables()) })
	return w
}

// endStreams ends the event streams, for the server's shutdown not to
// wait on them.
func (w *web) endStreams() { w.doneOnce.Do(func() { close(w.done) }) }

func (w *web) Close() error {
	w.endStreams()
	w.stop()
	w.mon.Close()
	return errors.Join(w.enq.Close(), w.redis.Close())
}

// handler routes the worker's pages. /healthz and /readyz stay open to
// load balancers and orchestrators; everything else is behind basic auth
// when http.username is set.
func (w *web) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", w.readyz)
	private := http.NewServeMux()
	private.Handle(monitorPath, w.mon)
	private.Handle(monitorPath+"/", w.mon)
	private.HandleFunc("GET /{$}", w.page)
	private.HandleFunc("GET /metrics", w.serveMetrics)
	w.api(private)
	w.pages(private)
	// Basic auth rides along with every request a browser sends, from
	// any site; this refuses cross-site POSTs (pause, enqueue, and the
	// monitor's buttons) while curl and same-page forms pass.
	mux.Handle("/", w.auth(http.NewCrossOriginProtection().Handler(private)))
	return mux
}

// auth asks for http.username and http.password when a username is set.
func (w *web) auth(next http.Handler) http.Handler {
	user, pass := w.cfg.HTTP.Username, w.cfg.HTTP.Password
	if user == "" {
		return next
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			rw.Header().Set("WWW-Authenticate", `Basic realm="syncd", charset="UTF-8"`)
			http.Error(rw, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// readyz reports whether this worker can do its job: Redis answers and
// every target database of the declared tables answers. 503 otherwise,
// with the failing part named.
func (w *web) readyz(rw http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ready := true
	if err := w.redis.Ping(ctx).Err(); err != nil {
		checks["redis"], ready = err.Error(), false
	} else {
		checks["redis"] = "ok"
	}
	for _, name := range w.targets() {
		db, err := w.pools.DB(ctx, name)
		if err == nil {
			err = db.PingContext(ctx)
		}
		if err != nil {
			checks["target "+name], ready = tables.Scrub(err, w.cfg.Connections[name].DSN).Error(), false
			continue
		}
		checks["target "+name] = "ok"
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(rw, code, map[string]any{"ready": ready, "checks": checks})
}

// targets lists the target connections in use.
func (w *web) targets() []string {
	var out []string
	if w.cfg.Target != "" {
		out = append(out, w.cfg.Target)
	}
	for _, t := range w.cat.Tables() {
		if !slices.Contains(out, t.Target.Connection) {
			out = append(out, t.Target.Connection)
		}
	}
	slices.Sort(out)
	return out
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}
