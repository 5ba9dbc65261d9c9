// Command syncd keeps MySQL/MariaDB tables in step with tables in
// operational databases. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/queue"
)

// Exit codes.
const (
	exitFailed    = 1 // a run or a check failed
	exitBadConfig = 2 // the configuration or a declaration is wrong
)

// exitError carries the exit code an error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badConfig(err error) error { return &exitError{code: exitBadConfig, err: err} }

func main() {
	queue.QuietRedisLog()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err == nil {
		return
	}
	// main reports once, on stderr, and exits non-zero.
	fmt.Fprintln(os.Stderr, "syncd:", err)
	code := exitFailed
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	os.Exit(code)
}

// globals are the flags every subcommand takes.
type globals struct {
	config    string
	logLevel  string
	logFormat string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "syncd",
		Short:         "Keep MySQL/MariaDB tables in step with SQL Server, PostgreSQL and MySQL tables",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	def := os.Getenv("SYNCD_CONFIG")
	if def == "" {
		def = "configs/syncd.yaml"
	}
	root.PersistentFlags().StringVarP(&g.config, "config", "c", def, "path of syncd.yaml (env SYNCD_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (default: log.level of syncd.yaml)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "", "json, console or auto (default: log.format of syncd.yaml)")
	root.AddCommand(newCheck(g), newSync(g), newTables(g), newRun(g), newWorker(g), newSchedulerCmd(g), newEnqueue(g),
		newVerify(g), newReconcile(g), newDiscover(g), newVersion(), newPlan(g), newRejects(g), newStatus(g), newRuns(g), newPause(g), newResume(g), newCancel(g))
	return root
}
