package main

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/connect"
)

// reloadInterval is how often the scheduler asks for the declarations;
// the catalog only rereads them when a file of tables_dir changed, so a
// new or edited file is scheduled within this time, no restart or signal
// needed.
const reloadInterval = 2 * time.Second

// roles are the parts a serving process runs.
type roles struct {
	worker, scheduler bool
	// noSetupCache makes the worker set each table up at every run.
	noSetupCache bool
}

func newRun(g *globals) *cobra.Command {
	return newServe(g, roles{worker: true, scheduler: true}, "run",
		"Worker, scheduler and HTTP server in one process (one machine)",
		`run syncs every declared table on its schedule: it enqueues the tables'
tasks in Redis, takes them as a worker, and serves the Asynq web UI at
/monitor with /healthz and /readyz. Editing, adding or removing a file in
tables_dir changes the schedule within seconds. SIGINT or SIGTERM stops it
gracefully: running syncs get worker.shutdown_timeout to finish, then stop
at a page boundary and go back to the queue.`)
}

func newWorker(g *globals) *cobra.Command {
	return newServe(g, roles{worker: true}, "worker",
		"Take sync tasks from Redis and serve /monitor, /healthz, /readyz",
		`worker takes sync:table tasks from the queues of worker.queues, at most
worker.concurrency at once, and serves the HTTP pages. Start as many as you
like, on any machine that reaches the same Redis and databases; start one
scheduler (or use run on one of them).`)
}

func newSchedulerCmd(g *globals) *cobra.Command {
	return newServe(g, roles{scheduler: true}, "scheduler",
		"Enqueue every declared table on its schedule",
		`scheduler enqueues one sync:table task per declared table on its schedule,
and follows edits of tables_dir within seconds. Two schedulers on one
Redis enqueue every tick twice; the table's task id makes the second
"already queued", so a table still syncs once at a time, but one scheduler
is enough.`)
}

func newServe(g *globals, r roles, use, short, long string) *cobra.Command {
	var listen string
	var concurrency int
	var noSetupCache bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := load(g)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("listen") {
				a.cfg.HTTP.Listen = listen
			}
			if concurrency > 0 {
				a.cfg.Worker.Concurrency = concurrency
			}
			r.noSetupCache = noSetupCache
			return a.serve(cmd.Context(), r)
		},
	}
	if r.worker {
		cmd.Flags().StringVar(&listen, "listen", "", `HTTP address, "" for none (default: http.listen of syncd.yaml)`)
		cmd.Flags().IntVar(&concurrency, "concurrency", 0, "tables synced at once (default: worker.concurrency of syncd.yaml)")
		// The behaviour before setups were kept, for syncd-bench's baseline.
		cmd.Flags().BoolVar(&noSetupCache, "no-setup-cache", false, "set every table up again at each run, and log every run (benchmark baseline)")
		_ = cmd.Flags().MarkHidden("no-setup-cache")
	}
	return cmd
}

// serve runs the roles until ctx is cancelled, then shuts them down in
// order: the scheduler first (no new tasks), the worker (running syncs
// finish or go back to the queue), the HTTP server last.
func (a *app) serve(ctx context.Context, r roles) error {
	cat, err := queue.NewCatalog(a.cfg, a.log)
	if err != nil {
		return badConfig(err)
	}
	if len(cat.Tables()) == 0 {
		a.log.Warn().Str("dir", a.cfg.TablesDir).Msg("no table declared yet; add a file and it is picked up")
	}
	pools := connect.NewPools(a.cfg)
	defer pools.Close()
	opt := queue.RedisConnOpt(a.cfg.Redis)
	// Asynq's metrics collector and the web UI print through the
	// standard logger: their lines go into syncd's log, in its format.
	prevOut, prevFlags := stdlog.Writer(), stdlog.Flags()
	stdlog.SetFlags(0)
	stdlog.SetOutput(queue.StdLog(a.log, opt))
	defer func() { stdlog.SetOutput(prevOut); stdlog.SetFlags(prevFlags) }()
	if err := queue.PingRedis(ctx, opt); err != nil {
		// Asynq keeps trying; say once what it waits for.
		queue.ReportRedisDown(a.log, opt, err)
	}

	if r.worker {
		m := newMetrics()
		srv := queue.NewWorker(a.cfg, a.log, queue.WorkerOptions{})
		in := queue.NewInspector(a.cfg.Redis)
		defer in.Close()
		rates := queue.NewRates(queue.RedisConnOpt(a.cfg.Redis))
		defer rates.Close()
		parts := queue.NewEnqueuer(queue.RedisConnOpt(a.cfg.Redis))
		defer parts.Close()
		h := &queue.Handler{Catalog: cat, Pools: pools, Log: a.log, Observer: m, Parts: parts, Inspector: in, Rates: rates}
		if !r.noSetupCache {
			h.Jobs = connect.NewJobs(pools)
		}
		if err := srv.Start(queue.Mux(h)); err != nil {
			return fmt.Errorf("start worker (redis %s): %w", a.redisName(), err)
		}
		defer srv.Shutdown()
		pruner := queue.NewPruner(queue.PrunerParams{Catalog: cat, Pools: pools, Log: a.log})
		pruner.Start()
		defer pruner.Shutdown()
		stop, err := a.serveHTTP(pools, cat, m)
		if err != nil {
			return err
		}
		defer stop()
		a.log.Info().Int("concurrency", a.cfg.Worker.Concurrency).Any("queues", a.cfg.Worker.Queues).Str("http", a.cfg.HTTP.Listen).Msg("worker started")
	}
	if r.scheduler {
		mgr, err := queue.NewScheduler(a.cfg, cat, a.log, reloadInterval)
		if err != nil {
			return err
		}
		if err := mgr.Start(); err != nil {
			return fmt.Errorf("start scheduler (redis %s): %w", a.redisName(), err)
		}
		defer mgr.Shutdown()
		a.log.Info().Int("tables", len(cat.Tables())).Msg("scheduler started")
	}
	<-ctx.Done()
	a.log.Info().Dur("shutdown_timeout", a.cfg.Worker.ShutdownTimeout).Msg("shutting down")
	return nil
}

// serveHTTP starts the HTTP server when http.listen is set and returns
// its stop function. The port is bound before returning, so a port in use
// is an error at start, not a log line later.
func (a *app) serveHTTP(pools *connect.Pools, cat *queue.Catalog, m *metrics) (func(), error) {
	if a.cfg.HTTP.Listen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen: %w", err)
	}
	w := newWeb(a.cfg, pools, cat, m)
	hs := &http.Server{Handler: w.handler(), ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(w.endStreams)
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Msg("http server stopped")
		}
	}()
	a.log.Info().Str("url", "http://"+ln.Addr().String()+"/").Str("monitor", "http://"+ln.Addr().String()+monitorPath).Msg("web UI")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = w.Close()
	}, nil
}

// redisName says which Redis, for errors; never with its password.
func (a *app) redisName() string {
	r := a.cfg.Redis
	switch {
	case len(r.SentinelAddrs) > 0:
		return fmt.Sprintf("sentinel %s at %v", r.MasterName, r.SentinelAddrs)
	case len(r.ClusterAddrs) > 0:
		return fmt.Sprintf("cluster %v", r.ClusterAddrs)
	}
	return r.Addr
}
