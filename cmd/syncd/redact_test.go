package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// echoed is a password that the DSNs here also use as the user name,
// which the servers quote back in their errors: what a redaction missing
// anywhere would print. Lower case, as Babelfish quotes a login.
const echoed = "pw-echoed-9x"

// Every command that opens a connection, and the worker's log of a run
// that cannot open its table, print the failing DSN and the server's error
// with the password hidden, though the server quoted it back. A refused
// target (MariaDB) and a refused source (PostgreSQL) each.
func TestEchoedPasswordIsPrintedNowhere(t *testing.T) {
	myBad := echoed + ":" + echoed + "@tcp(127.0.0.1:3306)/x"
	pgBad := "postgres://" + echoed + ":" + echoed + "@127.0.0.1:5432/postgres?sslmode=disable"
	_, myDSN := synctest.MariaDB(t)
	redisAddr := synctest.Redis(t)
	q := synctest.UniqueName("syncd_t_")
	t.Cleanup(func() { synctest.DropQueue(t, redisAddr, q) })
	config := func(srcDriver, srcDSN, tgtDSN string) string {
		return writeConfig(t, fmt.Sprintf("connections:\n  src: {driver: %s, dsn: '%s'}\n  tgt: {driver: mysql, dsn: '%s'}\ntarget: tgt\n"+
			"defaults: {queue: %s}\nredis: %s\nworker: {queues: {%s: 1}}\nhttp: {listen: ''}\n", srcDriver, srcDSN, tgtDSN, q, synctest.RedisYAML(redisAddr), q),
			map[string]string{"items.yaml": itemsTable})
	}
	badTarget, badSource := config(tables.DriverMySQL, myBad, myBad), config(tables.DriverPostgres, pgBad, myDSN)
	rewind := []string{"enqueue", "items", "--from", "2026-01-01T00:00:00"}
	sourceCmds := [][]string{{"sync", "items"}, {"check", "--connect"}, {"verify", "items"}, {"plan", "items"}, rewind}
	targetCmds := append([][]string{{"status"}, {"runs", "items"}, {"rejects", "items"}, {"pause", "items"}}, sourceCmds...)
	logged := captureStderr(t, func() {
		for _, c := range []struct {
			cfg  string
			cmds [][]string
		}{{badTarget, targetCmds}, {badSource, sourceCmds}} {
			for _, args := range c.cmds {
				out, _ := runCLI(append([]string{"-c", c.cfg}, args...)...)
				assertRedacted(t, fmt.Sprint(args), out)
			}
		}
	})
	assertRedacted(t, "the commands' log", logged)

	// A worker takes the task and logs why the run failed.
	if out, code := runCLI("-c", badSource, "enqueue", "items"); code != 0 {
		t.Fatalf("enqueue: exit %d\n%s", code, out)
	}
	logged = captureStderr(t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var out bytes.Buffer
		if err := runCLIContext(ctx, &out, "-c", badSource, "worker"); err != nil {
			t.Errorf("worker: %v\n%s", err, out.String())
		}
	})
	assertRedacted(t, "the worker's log", logged)
	if !strings.Contains(logged, "sync failed") {
		t.Fatalf("the worker logged no failed sync:\n%s", logged)
	}
}

// assertRedacted fails if text holds the password, or holds no redacted
// DSN: the failing connection's error was not printed at all.
func assertRedacted(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, echoed) || !strings.Contains(text, "connect to ") || !strings.Contains(text, ":***@") {
		t.Fatalf("%s: want the failing connection named, its DSN and the server's error without the password:\n%s", what, text)
	}
}

// captureStderr runs fn with os.Stderr, where syncd logs, read into the
// returned text.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	must(t, err)
	read := make(chan string)
	go func() {
		b, _ := io.ReadAll(r) //nolint:errcheck // a pipe's read ends at its close
		read <- string(b)
	}()
	stderr := os.Stderr
	os.Stderr = w
	func() {
		defer func() {
			os.Stderr = stderr
			w.Close()
		}()
		fn()
	}()
	return <-read
}

// /readyz reports a target whose pool opened but whose ping now fails,
// with the server's error scrubbed: here the login was dropped after the
// pool opened, and the server quotes the user name, the password too.
func TestReadyzHidesAnEchoedPassword(t *testing.T) {
	name, myDSN := synctest.MariaDB(t)
	admin := synctest.Open(t, "mysql", myDSN)
	user := synctest.UniqueName("pw_")
	synctest.Exec(t, admin, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, user),
		fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%%'", name, user))
	t.Cleanup(func() { synctest.Exec(t, admin, fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })
	cfg := &tables.Config{
		Connections: map[string]tables.Connection{"tgt": {Driver: tables.DriverMySQL, DSN: user + ":" + user + "@tcp(127.0.0.1:3306)/" + name}},
		Target:      "tgt", TablesDir: t.TempDir(), Redis: synctest.RedisConfig(synctest.Redis(t)),
	}
	srv := testWeb(t, cfg)
	if code, body := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with the login in place: %d %s", code, body)
	}
	synctest.Exec(t, admin, fmt.Sprintf("DROP USER '%s'@'%%'", user))
	killSessions(t, admin, user)
	code, body := get(t, srv.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "Access denied for user '***'") || strings.Contains(body, user) {
		t.Fatalf("/readyz with the login dropped: %d %s; want 503, access denied, without the password", code, body)
	}
}

// killSessions ends the server sessions of user, so that its pool must
// log in again.
func killSessions(t *testing.T, admin *sql.DB, user string) {
	t.Helper()
	rows, err := admin.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?", user)
	must(t, err)
	var ids []int64
	for rows.Next() {
		var id int64
		must(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	must(t, rows.Err())
	rows.Close()
	if len(ids) == 0 {
		t.Fatalf("no session of %s to end: the pool opened none", user)
	}
	for _, id := range ids {
		synctest.Exec(t, admin, fmt.Sprintf("KILL CONNECTION %d", id))
	}
}
