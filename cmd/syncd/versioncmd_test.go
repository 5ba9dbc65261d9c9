package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// syncd version prints the version, commit, build time and the Go version
// the binary was built with; -ldflags values fill what the build
// information lacks (a test binary has no VCS stamp).
func TestVersion(t *testing.T) {
	old := [3]string{version, commit, buildTime}
	version, commit, buildTime = "v1.2.3", "abc123", "2026-12-07T00:00:00Z"
	t.Cleanup(func() { version, commit, buildTime = old[0], old[1], old[2] })
	var out bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"syncd v1.2.3\n", "commit abc123", "built 2026-12-07T00:00:00Z\n", runtime.Version()} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("syncd version printed %q, want %q in it", out.String(), want)
		}
	}
}
