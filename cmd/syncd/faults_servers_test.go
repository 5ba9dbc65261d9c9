//go:build faults

package main

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/sync/synctest"
)

// server is a database server of the test's own: its own data directory,
// port and socket on 127.0.0.1, in a process group of its own, so that a
// scenario can kill, stall or fill it without touching the servers other
// tests use. Cleanup kills it and removes its files.
type server struct {
	t    *testing.T
	name string // for messages: "mariadbd", "postgres"
	dir  string
	port string
	bin  string
	args []string
	cred *syscall.Credential // the user the server runs as; nil: ours
	cmd  *exec.Cmd
	dsn  string // of the test's database in it
	ping func() error
}

// Addr is where the server listens.
func (s *server) Addr() string { return "127.0.0.1:" + s.port }

// start starts the server and waits until it answers.
func (s *server) start() {
	s.t.Helper()
	log, err := os.OpenFile(filepath.Join(s.dir, s.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	must(s.t, err)
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	must(s.t, s.cmd.Start())
	go func(c *exec.Cmd) { _ = c.Wait(); log.Close() }(s.cmd)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			if s.ping == nil || s.ping() == nil {
				return
			}
		}
		if i == 300 {
			s.t.Fatalf("private %s on %s did not start within 30 s:\n%s", s.name, s.Addr(), s.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill kills the server and every process of its group with SIGKILL, as
// the kernel's OOM killer or a power cut would, and waits until its port
// is free.
func (s *server) kill() {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	for i := 0; i < 300; i++ {
		if syscall.Kill(-s.cmd.Process.Pid, 0) != nil {
			return // no process of the group is left
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("private %s (pid %d) still running 30 s after SIGKILL", s.name, s.cmd.Process.Pid)
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, s.name+".log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) string {
	_, port, err := net.SplitHostPort(freeAddr(t))
	must(t, err)
	return port
}

// run runs a command to its end, failing the test with its output.
func runCmd(t *testing.T, cred *syscall.Credential, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// privateMariaDB starts a MariaDB server of the test's own (a fresh data
// directory from mariadb-install-db), with extra server options, and
// creates the database syncd_f in it.
func privateMariaDB(t *testing.T, extra ...string) *server {
	t.Helper()
	requireBinary(t, "mariadb-install-db")
	dir, err := os.MkdirTemp("", "syncd-faults-mariadb-")
	must(t, err)
	s := &server{t: t, name: "mariadbd", dir: dir, port: freePort(t), bin: "/usr/sbin/mariadbd"}
	t.Cleanup(func() { s.kill(); os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	runCmd(t, nil, "mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	s.args = append([]string{"--no-defaults", "--datadir=" + data, "--user=root", "--port=" + s.port,
		"--bind-address=127.0.0.1", "--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--skip-log-bin", "--innodb-buffer-pool-size=32M", "--max-connections=200"}, extra...)
	root := "root@tcp(" + s.Addr() + ")/"
	s.ping = func() error { return pingDSN("mysql", root) }
	s.start()
	db := synctest.Open(t, "mysql", root)
	synctest.Exec(t, db, "CREATE DATABASE syncd_f CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	s.dsn = root + "syncd_f?parseTime=true&loc=UTC&multiStatements=true"
	return s
}

// privatePostgres starts a PostgreSQL server of the test's own (initdb
// into a fresh directory, run as the postgres user; the newest version
// under /usr/lib/postgresql) and creates the database syncd_f in it.
func privatePostgres(t *testing.T) *server {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) < pgVersion(found[j]) })
	if len(found) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/initdb for a private PostgreSQL (apt-get install postgresql)")
	}
	bin := filepath.Dir(found[len(found)-1]) + "/"
	u, err := user.Lookup("postgres")
	must(t, err)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	dir, err := os.MkdirTemp("", "syncd-faults-postgres-")
	must(t, err)
	must(t, os.Chown(dir, uid, gid))
	s := &server{t: t, name: "postgres", dir: dir, port: freePort(t), bin: bin + "postgres", cred: cred}
	t.Cleanup(func() { s.kill(); os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	runCmd(t, cred, bin+"initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	s.args = []string{"-D", data, "-p", s.port, "-k", dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "shared_buffers=32MB", "-c", "max_connections=100"}
	admin := fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", s.Addr())
	s.ping = func() error { return pingDSN("pgx", admin) }
	s.start()
	synctest.Exec(t, synctest.Open(t, "pgx", admin), "CREATE DATABASE syncd_f ENCODING 'UTF8' TEMPLATE template0")
	s.dsn = fmt.Sprintf("postgres://postgres@%s/syncd_f?sslmode=disable", s.Addr())
	return s
}

// pgVersion is the major version in a path /usr/lib/postgresql/N/bin/...
func pgVersion(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

func pingDSN(driver, dsn string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Ping()
}

func requireBinary(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed for a private server (apt-get install mariadb-server postgresql-15): %v", name, err)
	}
}
