package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/syncd/syncd/tables"
)

// repoRoot is where docker-compose.yml lives, seen from this package.
const repoRoot = "../.."

// loadCompose loads docker-compose.yml as Docker Compose itself does
// (compose-go: interpolation, normalization, the consistency checks).
// env is the environment of the shell running docker compose, as
// KEY=VALUE.
func loadCompose(t *testing.T, env ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot), cli.WithName("syncd"), cli.WithDiscardEnvFile, cli.WithEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("no service %s: %v", name, err)
	}
	return s
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	images := map[string]string{
		"mssql": "mcr.microsoft.com/mssql/server:2022-latest", "mssql-init": "mcr.microsoft.com/mssql/server:2022-latest",
		"mssql-churn": "mcr.microsoft.com/mssql/server:2022-latest", "mysql": "mysql:8.4", "redis": "redis:7",
	}
	if got := p.ServiceNames(); !slices.Equal(sorted(got), sorted(append(keys(images), "syncd"))) {
		t.Errorf("services %v", got)
	}
	for name, image := range images {
		if s := service(t, p, name); s.Image != image {
			t.Errorf("%s runs %s, want %s", name, s.Image, image)
		}
	}
	// Every long-running service says when it is ready; the rest wait on it.
	for _, name := range []string{"mssql", "mysql", "redis", "syncd"} {
		hc := service(t, p, name).HealthCheck
		if hc == nil || len(hc.Test) < 2 || hc.Disable {
			t.Errorf("%s has no health check", name)
		}
	}
	if hc := service(t, p, "syncd").HealthCheck; hc != nil && !strings.Contains(strings.Join(hc.Test, " "), "http://127.0.0.1:8080/healthz") {
		t.Errorf("syncd's health check %v does not ask /healthz", hc.Test)
	}
	wantDeps := map[string]map[string]string{
		"mssql-init":  {"mssql": types.ServiceConditionHealthy},
		"mssql-churn": {"mssql-init": types.ServiceConditionCompletedSuccessfully},
		"syncd": {"mssql-init": types.ServiceConditionCompletedSuccessfully, "mysql": types.ServiceConditionHealthy,
			"redis": types.ServiceConditionHealthy},
	}
	for name, deps := range wantDeps {
		got := service(t, p, name).DependsOn
		if len(got) != len(deps) {
			t.Errorf("%s depends on %v, want %v", name, got, deps)
		}
		for dep, cond := range deps {
			if got[dep].Condition != cond {
				t.Errorf("%s waits for %s to be %q, want %q", name, dep, got[dep].Condition, cond)
			}
		}
	}
}

func TestComposePorts(t *testing.T) {
	p := loadCompose(t)
	want := map[string]string{"mssql": "127.0.0.1:1433->1433", "mysql": "127.0.0.1:3307->3306", "redis": "127.0.0.1:6380->6379", "syncd": "127.0.0.1:8080->8080"}
	for name, port := range want {
		var got []string
		for _, pc := range service(t, p, name).Ports {
			got = append(got, pc.HostIP+":"+pc.Published+"->"+itoa(pc.Target))
		}
		if !slices.Equal(got, []string{port}) {
			t.Errorf("%s publishes %v, want %s", name, got, port)
		}
	}
}

// syncd is built from the repository's Dockerfile, runs `syncd run` with
// the config the compose file mounts, and that config and its tables load
// and validate with the environment compose gives it.
func TestComposeSyncdConfig(t *testing.T) {
	p := loadCompose(t)
	cfg := composeSyncdConfig(t, p)
	if cfg.Redis.Addr != "redis:6379" || cfg.HTTP.Listen != "0.0.0.0:8080" {
		t.Errorf("redis %q, http %q: want the compose services", cfg.Redis.Addr, cfg.HTTP.Listen)
	}
	ts, err := tables.LoadTables(cfg.TablesDir, cfg)
	if err != nil || len(ts) != 3 {
		t.Fatalf("the mounted tables: %d loaded, %v", len(ts), err)
	}
	for _, tb := range ts {
		if cfg.Connections[tb.Source.Connection].Driver != tables.DriverSQLServer || !tb.Target.Create {
			t.Errorf("%s: not a SQL Server table created by syncd", tb.Name)
		}
	}
}

// The quick start's web UI is read-only unless whoever starts compose
// turns the buttons on, and then they come with basic auth.
func TestComposeHTTPReadOnlyByDefault(t *testing.T) {
	cfg := composeSyncdConfig(t, loadCompose(t))
	if !cfg.HTTP.ReadOnly || cfg.HTTP.Username != "" {
		t.Errorf("by default http.read_only %v, username %q; want read-only (no buttons in /monitor, POSTs refused)", cfg.HTTP.ReadOnly, cfg.HTTP.Username)
	}
	cfg = composeSyncdConfig(t, loadCompose(t, "SYNCD_HTTP_READ_ONLY=false", "SYNCD_HTTP_USERNAME=admin", "SYNCD_HTTP_PASSWORD=pw"))
	if cfg.HTTP.ReadOnly || cfg.HTTP.Username != "admin" || cfg.HTTP.Password != "pw" {
		t.Errorf("with the buttons asked for: read_only %v, username %q, password %q", cfg.HTTP.ReadOnly, cfg.HTTP.Username, cfg.HTTP.Password)
	}
}

// composeSyncdConfig loads the syncd.yaml compose mounts, with the
// environment compose gives syncd.
func composeSyncdConfig(t *testing.T, p *types.Project) *tables.Config {
	t.Helper()
	s := service(t, p, "syncd")
	if s.Build == nil || s.Build.Dockerfile != "Dockerfile" {
		t.Errorf("syncd is not built from the Dockerfile: %+v", s.Build)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "Dockerfile")); err != nil {
		t.Error(err)
	}
	if got := strings.Join(s.Command, " "); got != "run --config /etc/syncd/syncd.yaml" {
		t.Errorf("syncd runs %q", got)
	}
	var dir string
	for _, v := range s.Volumes {
		if v.Target == "/etc/syncd" && v.ReadOnly {
			dir = v.Source
		}
	}
	if dir == "" {
		t.Fatalf("nothing mounted read-only at /etc/syncd: %+v", s.Volumes)
	}
	for k, v := range s.Environment {
		if strings.HasPrefix(k, "SYNCD_") && v != nil {
			t.Setenv(k, *v)
		}
	}
	cfg, err := tables.LoadConfig(filepath.Join(dir, "syncd.yaml"))
	if err != nil {
		t.Fatalf("the mounted syncd.yaml: %v", err)
	}
	return cfg
}

// The SQL Server helpers mount the demo scripts they run.
func TestComposeDemoScripts(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"mssql-init", "mssql-churn"} {
		s := service(t, p, name)
		if len(s.Volumes) != 1 || s.Volumes[0].Target != "/demo" {
			t.Fatalf("%s mounts %+v", name, s.Volumes)
		}
		for _, f := range []string{"demo.sh", "init.sql", "churn.sql"} {
			if _, err := os.Stat(filepath.Join(s.Volumes[0].Source, f)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
