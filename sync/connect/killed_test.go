package connect_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/connect"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// killedRunEnv carries the source and target DSNs to the child process
// of TestKilledRunKeepsItsCounts.
const killedRunEnv = "SYNCD_TEST_KILLED_RUN"

// A run killed (SIGKILL) after it committed 3 pages of 1,000 rows never
// records its end; the next run closes it as failed, with the 3 pages'
// counts, which committed with the pages: the run log adds up to the
// rows the target holds.
func TestKilledRunKeepsItsCounts(t *testing.T) {
	t.Parallel()
	w := newVerifyWorld(t, tables.DriverPostgres, 5000)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), killedRunEnv+"="+w.cfg.Connections["src"].DSN+"\n"+w.cfg.Connections["tgt"].DSN)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "committed 3 pages") {
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() //nolint:errcheck // killed: its error says so
	var n int64
	if err := w.tgt.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 3000 {
		t.Fatalf("target holds %d rows (%v) after the kill; want the 3 pages' 3000", n, err)
	}
	w.sync(t) // the next run closes the killed one
	rs, err := state.New(w.tgt).ListRuns(context.Background(), state.RunFilter{Table: "items"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("runs %+v: want the killed run and the next", rs)
	}
	killed, next := rs[1], rs[0]
	if killed.Status != state.StatusFailed || killed.Pages != 3 || killed.Read != 3000 || killed.Inserted != 3000 {
		t.Errorf("killed run %+v: want failed with 3 pages, 3000 rows read and inserted", killed)
	}
	if next.Status != state.StatusOK || killed.Inserted+next.Inserted != 5000 {
		t.Errorf("next run %+v: want ok, the run log adding up to the 5000 rows of the target", next)
	}
}

// TestMain runs the package's tests, or, with killedRunEnv set, is the
// process TestKilledRunKeepsItsCounts kills (no test of its own, which
// would skip in every ordinary run).
func TestMain(m *testing.M) {
	if env := os.Getenv(killedRunEnv); env != "" {
		err := killedRunChild(env)
		fmt.Fprintf(os.Stderr, "the run ended (%v) instead of waiting to be killed\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// killedRunChild syncs in pages of 1,000 rows and, after the third
// committed page, says so and waits to be killed.
func killedRunChild(env string) error {
	src, tgt, _ := strings.Cut(env, "\n")
	pools := connect.NewPools(&tables.Config{Connections: map[string]tables.Connection{
		"src": {Driver: tables.DriverPostgres, DSN: src}, "tgt": {Driver: tables.DriverMySQL, DSN: tgt},
	}})
	tb := tables.Table{
		Name:   "items",
		Source: tables.Source{Connection: "src", Table: "items", Key: []string{"id"}, Cursor: "updated_at", CursorClock: tables.ClockLocal},
		Target: tables.Target{Connection: "tgt", Table: "items"}, BatchSize: 1000, OnBadRows: tables.OnBadRowsReject,
	}
	job, err := connect.Open(context.Background(), pools, tb)
	if err != nil {
		return err
	}
	_, err = job.Run(context.Background(), datasync.Options{Trigger: datasync.TriggerManual, AfterPage: func(page int) error {
		if page == 3 {
			fmt.Println("committed 3 pages")
			select {}
		}
		return nil
	}})
	return err
}
