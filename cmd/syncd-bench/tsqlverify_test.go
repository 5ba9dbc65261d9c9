package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The stage's report gives both ratios from the medians, each beside its
// goal, and says why it is absent when it is.
func TestWriteTSQLVerify(t *testing.T) {
	secs := func(s ...float64) []time.Duration {
		var out []time.Duration
		for _, f := range s {
			out = append(out, time.Duration(f*float64(time.Second)))
		}
		return out
	}
	v := &tsqlVerify{n: 1_000_000, server: "T-SQL (Babelfish)", deletedPerRun: 1000, changedRun: 1000,
		read:    measure{name: "read", times: secs(10, 11, 30)},
		equal:   measure{name: "verify equal", times: secs(25, 27.5, 40), rss: []int64{20 << 20}},
		drifted: measure{name: "verify drifted", times: secs(20, 30, 40)},
		recon:   measure{name: "reconcile", times: secs(45, 45, 90)},
	}
	var sb strings.Builder
	results{tsqlVerify: v}.writeTSQLVerify(&sb)
	got := sb.String()
	for _, want := range []string{
		"verify of the equal table / one plain read of it: **2.50** (goal: 3 or less)",
		"reconcile / verify of the drifted table: **1.50** (goal: 2 or less)",
		"| 1000000 | read | 3 | 10.00 / 11.00 / 30.00 | (in syncd-bench) |",
		"| 1000000 | verify equal | 3 | 25.00 / 27.50 / 40.00 | 20 MiB |",
		"changed behind the cursor (1000 and 1000 in the last)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "goals are set for") {
		t.Errorf("a report at N = 1,000,000 warns about its size:\n%s", got)
	}
	sb.Reset()
	results{tsqlVerify: &tsqlVerify{skipped: "no T-SQL server"}}.writeTSQLVerify(&sb)
	if got := sb.String(); !strings.Contains(got, "- no T-SQL server") || strings.Contains(got, "goal") {
		t.Errorf("skipped stage: got %q, want the reason alone", got)
	}
	sb.Reset()
	results{}.writeTSQLVerify(&sb)
	if sb.Len() != 0 {
		t.Errorf("a stage that did not run wrote %q", sb.String())
	}
}

// Under CI the T-SQL verify stage refuses to run without its T-SQL
// server; outside CI it is skipped and the report says so.
func TestTSQLVerifyWithoutTSQL(t *testing.T) {
	for _, dsn := range []string{"", "none"} {
		t.Setenv("CI", "true")
		b := &bench{o: options{msDSN: dsn, tsqlVerifyRows: 10}}
		if err := b.tsqlVerifyStage(context.Background()); err == nil || !strings.Contains(err.Error(), "no T-SQL server") {
			t.Errorf("-mssql %q under CI: got %v, want an error naming the missing T-SQL server", dsn, err)
		}
		t.Setenv("CI", "")
		b = &bench{o: options{msDSN: dsn, tsqlVerifyRows: 10}}
		if err := b.tsqlVerifyStage(context.Background()); err != nil || b.results.tsqlVerify == nil || b.results.tsqlVerify.skipped == "" {
			t.Errorf("-mssql %q outside CI: got %v, %+v; want the stage skipped, said", dsn, err, b.results.tsqlVerify)
		}
	}
}
