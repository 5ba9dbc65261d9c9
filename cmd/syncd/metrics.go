package main

import (
	"context"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncd/syncd/queue"
	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Label names of syncd's metrics.
const (
	labelTable  = "table"
	labelResult = "result"
	labelReason = "reason"
)

// Reasons of syncd_behind_rows_total: rows the lookback wrote again that
// were not late commits (see lookback_why.go in sync).
const (
	reasonSetBack = "set_back"
	reasonLost    = "lost"
)

// metrics are syncd's own Prometheus metrics. The counters and the
// histogram are this worker's: the queue's Observer feeds them as its
// tasks run, so a sum over workers is the whole picture. The gauges are
// read from the targets at each scrape and are the same on every worker.
type metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler // serves reg
	read     *prometheus.CounterVec
	written  *prometheus.CounterVec
	rejected *prometheus.CounterVec
	late     *prometheus.CounterVec
	behind   *prometheus.CounterVec
	tasks    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	perTable := []string{labelTable}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		read: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_rows_read_total", Help: "Rows read from the source, by table.",
		}, perTable),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_rows_written_total", Help: "Rows inserted or updated in the target (unchanged rows not counted), by table.",
		}, perTable),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_rows_rejected_total", Help: "Rows the target refused and syncd quarantined, by table.",
		}, perTable),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_late_rows_total",
			Help: "Rows the lookback found behind the cursor, committed later than settle as far as it can tell, and wrote again, by table.",
		}, perTable),
		behind: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_behind_rows_total",
			Help: "Rows the lookback wrote again that were no late commits, by table and reason: set_back (a cursor set back), lost (missing in the target, removed there).",
		}, []string{labelTable, labelReason}),
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_tasks_total",
			Help: "Sync tasks ended, by table and result (ok, failed, paused, superseded, cancelled).",
		}, []string{labelTable, labelResult}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "syncd_run_duration_seconds", Help: "Duration of runs that started, by table.",
			// From an empty incremental run to a long initial load.
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600},
		}, perTable),
	}
	m.reg.MustRegister(m.read, m.written, m.rejected, m.late, m.behind, m.tasks, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// Page implements queue.Observer.
func (m *metrics) Page(table string, read, written, rejected int64) {
	m.read.WithLabelValues(table).Add(float64(read))
	m.written.WithLabelValues(table).Add(float64(written))
	m.rejected.WithLabelValues(table).Add(float64(rejected))
}

// Done implements queue.Observer.
func (m *metrics) Done(table, result string, rec datasync.RunRecord) {
	m.tasks.WithLabelValues(table, result).Inc()
	m.late.WithLabelValues(table).Add(float64(rec.Late))
	m.behind.WithLabelValues(table, reasonSetBack).Add(float64(rec.SetBack))
	m.behind.WithLabelValues(table, reasonLost).Add(float64(rec.Lost))
	if !rec.Started.IsZero() && !rec.Ended.IsZero() {
		m.duration.WithLabelValues(table).Observe(rec.Ended.Sub(rec.Started).Seconds())
	}
}

// declare makes every declared table's counters exist at 0, so that a
// table shows in Prometheus (and rate() has a start) before its first row.
func (m *metrics) declare(ts []tables.Table) {
	for _, t := range ts {
		m.read.WithLabelValues(t.Name)
		m.written.WithLabelValues(t.Name)
		m.rejected.WithLabelValues(t.Name)
		m.late.WithLabelValues(t.Name)
		m.behind.WithLabelValues(t.Name, reasonSetBack)
		m.behind.WithLabelValues(t.Name, reasonLost)
	}
}

// watch registers what is read at scrape time: Asynq's queue metrics and
// each table's state.
func (m *metrics) watch(in *asynq.Inspector, status func(context.Context) []queue.TableStatus) {
	m.reg.MustRegister(asynqmetrics.NewQueueMetricsCollector(in), stateCollector{status})
}

// stateCollector reports each table's state as gauges at scrape time.
type stateCollector struct {
	status func(context.Context) []queue.TableStatus
}

var (
	pausedDesc = prometheus.NewDesc("syncd_paused",
		"1 while the table is paused.", []string{labelTable}, nil)
	lagDesc = prometheus.NewDesc("syncd_lag_seconds",
		"How far behind its source the table is known to be: the time since the upper bound of its last successful run; absent before the first.",
		[]string{labelTable}, nil)
	neverSyncedDesc = prometheus.NewDesc("syncd_never_synced",
		"1 while the table has had no successful run (its lag is unknown), else 0.", []string{labelTable}, nil)
	rowAgeDesc = prometheus.NewDesc("syncd_row_age_seconds",
		"The source's clock minus the table's time cursor: the age of the newest row synced; absent for other cursors, paused tables and unreachable sources.",
		[]string{labelTable}, nil)
	lastSuccessDesc = prometheus.NewDesc("syncd_last_success_timestamp_seconds",
		"When the table's last successful run ended (Unix time).", []string{labelTable}, nil)
	failingDesc = prometheus.NewDesc("syncd_failing",
		"1 while the table's newest run failed in a way no retry fixes (it fails so at every tick until its declaration, source or target changes), else 0.",
		[]string{labelTable}, nil)
	taskActiveDesc = prometheus.NewDesc("syncd_task_active",
		"1 while a sync of the table is running.", []string{labelTable}, nil)
)

// scrapeTimeout bounds the state read of one scrape, under Prometheus's
// default scrape timeout of 10s.
const scrapeTimeout = 8 * time.Second

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pausedDesc, failingDesc, lagDesc, neverSyncedDesc, rowAgeDesc, lastSuccessDesc, taskActiveDesc} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, s := range c.status(ctx) {
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, boolValue(s.Paused), s.Name)
		ch <- prometheus.MustNewConstMetric(failingDesc, prometheus.GaugeValue, boolValue(s.Failing), s.Name)
		ch <- prometheus.MustNewConstMetric(taskActiveDesc, prometheus.GaugeValue, boolValue(s.Task == "active"), s.Name)
		ch <- prometheus.MustNewConstMetric(neverSyncedDesc, prometheus.GaugeValue, boolValue(s.LagSeconds == nil), s.Name)
		if s.LagSeconds != nil {
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, *s.LagSeconds, s.Name)
		}
		if s.RowAgeSeconds != nil {
			ch <- prometheus.MustNewConstMetric(rowAgeDesc, prometheus.GaugeValue, *s.RowAgeSeconds, s.Name)
		}
		if s.LastSuccess != nil {
			ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, float64(s.LastSuccess.UnixNano())/1e9, s.Name)
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
