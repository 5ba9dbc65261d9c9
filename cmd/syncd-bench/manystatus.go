package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"time"
)

// manyStatus gives the run log a month of history (-many-history runs
// spread over 30 days and the stage's tables) and times the status page
// and /api/tables, each read five times.
func (b *bench) manyStatus(ctx context.Context, s *manyStage, base string) error {
	log.Printf("many tables: %d runs of history, then the status page and /api/tables", b.o.manyHistory)
	_, err := b.my.ExecContext(ctx, fmt.Sprintf("INSERT INTO syncd_runs (table_name, `trigger`, status, version, started_at, ended_at, rows_read) "+
		"SELECT CONCAT('m_', 1 + seq %% %d), 'schedule', IF(seq %% 50 = 0, 'failed', 'ok'), 1, "+
		"UTC_TIMESTAMP(6) - INTERVAL 1 HOUR - INTERVAL (seq * 2592 / %d) SECOND, UTC_TIMESTAMP(6) - INTERVAL 1 HOUR - INTERVAL (seq * 2592 / %d) SECOND, 1 "+
		"FROM seq_1_to_%d", s.tables, max(1, b.o.manyHistory/1000), max(1, b.o.manyHistory/1000), b.o.manyHistory))
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	s.history = int64(b.o.manyHistory)
	for range 5 {
		ms, err := timeGet(ctx, base+"/api/tables")
		if err != nil {
			return err
		}
		s.apiMs = append(s.apiMs, ms)
		if ms, err = timeGet(ctx, base+"/"); err != nil {
			return err
		}
		s.pageMs = append(s.pageMs, ms)
	}
	return nil
}

// timeGet returns how long a GET of url took to answer in full, in ms.
func timeGet(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return float64(time.Since(start).Microseconds()) / 1000, nil
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func medianMs(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeMany prints the many-tables stage's table and ratios.
func (r results) writeMany(w io.Writer, every time.Duration) {
	if len(r.many) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMany tables at @every %v, settle %v, light churn (one row of a random table changed at a time):\n\n", every, manySettle)
	fmt.Fprintln(w, "| tables | setup | load (1/5/15 min) | MariaDB CPU of others, ms/s | quiet s | empty runs | syncd CPU ms / empty run | MariaDB CPU ms / empty run (raw) | churn s | runs | runs/s | listed in syncd_runs | folded | syncd CPU ms/run | MariaDB CPU ms/run | changes | freshness p50 / p99 s | syncd_runs rows/day |")
	fmt.Fprintln(w, "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range r.many {
		fmt.Fprintf(w, "| %d | %s | %s | %.0f | %.0f | %d | %.2f | %.2f (%.2f) | %.0f | %d | %.1f | %d | %d | %.2f | %.2f | %d | %.2f / %.2f | %.0f |\n",
			s.tables, s.setupText(), s.load, s.serverIdle*1000, s.quiet.Seconds(), s.quietRuns, perRun(s.quietSyncd, s.quietRuns),
			perRun(s.net(s.quietServer, s.quiet), s.quietRuns), perRun(s.quietServer, s.quietRuns),
			s.window.Seconds(), s.runs, s.perSecond(s.runs), s.listed, s.folded,
			perRun(s.syncdCPU, s.runs), perRun(s.net(s.serverCPU, s.window), s.runs), s.changes,
			percentile(s.fresh, 50).Seconds(), percentile(s.fresh, 99).Seconds(), s.perSecond(s.listed)*86400)
	}
	fmt.Fprintln(w)
	for _, s := range r.many {
		if s.mode != manyKept {
			continue
		}
		for _, mode := range []manyMode{manyNoCache, manyBefore} {
			if base, ok := r.modeOf(s.tables, mode); ok {
				writeRatios(w, s, base)
			}
		}
		fmt.Fprintf(w, "- %d tables, kept setups, against the figures of issue 17 before them (8.6 ms syncd, 5.5 ms MariaDB per empty run at 200 tables): syncd %.1fx, MariaDB %.1fx\n",
			s.tables, ratio(8.6, perRun(s.quietSyncd, s.quietRuns)), ratio(5.5, perRun(s.net(s.quietServer, s.quiet), s.quietRuns)))
		goal := r.manyEvery + manySettle + time.Second
		verdict := "within"
		if percentile(s.fresh, 99) > goal {
			verdict = "over"
		}
		fmt.Fprintf(w, "- %d tables, kept setups: freshness p99 %.2f s (%s the goal of interval + settle + 1 s = %v)\n", s.tables, percentile(s.fresh, 99).Seconds(), verdict, goal)
		if len(s.apiMs) > 0 {
			fmt.Fprintf(w, "- %d tables with %d runs of history over 30 days: GET /api/tables %.0f ms, GET / %.0f ms (median of 5; goal: under 200 ms)\n",
				s.tables, s.history, medianMs(s.apiMs), medianMs(s.pageMs))
		}
	}
}

// writeRatios prints how much less CPU s's runs took than base's.
func writeRatios(w io.Writer, s, base manyStage) {
	fmt.Fprintf(w, "- %d tables: CPU per empty run, %s / kept setups: syncd **%.1fx**, MariaDB **%.1fx** (goal: 5x or more on both); "+
		"per run under churn: syncd %.1fx, MariaDB %.1fx\n",
		s.tables, base.mode, ratio(perRun(base.quietSyncd, base.quietRuns), perRun(s.quietSyncd, s.quietRuns)),
		ratio(perRun(base.net(base.quietServer, base.quiet), base.quietRuns), perRun(s.net(s.quietServer, s.quiet), s.quietRuns)),
		ratio(perRun(base.syncdCPU, base.runs), perRun(s.syncdCPU, s.runs)),
		ratio(perRun(base.net(base.serverCPU, base.window), base.runs), perRun(s.net(s.serverCPU, s.window), s.runs)))
}

func (r results) modeOf(n int, mode manyMode) (manyStage, bool) {
	for _, s := range r.many {
		if s.mode == mode && s.tables == n {
			return s, true
		}
	}
	return manyStage{}, false
}

func (s manyStage) setupText() string { return s.mode.String() }

// perRun is d per run in ms.
func perRun(d time.Duration, runs int64) float64 {
	if runs == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000 / float64(runs)
}

func (s manyStage) perSecond(n int64) float64 {
	if s.window <= 0 {
		return 0
	}
	return float64(n) / s.window.Seconds()
}
