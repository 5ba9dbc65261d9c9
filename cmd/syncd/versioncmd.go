package main

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by make dist with -ldflags "-X main.version=... -X main.commit=...
// -X main.buildTime=...": a binary built outside a module's VCS checkout
// (a source tarball) has no build information to read them from.
var version, commit, buildTime string

// buildVersion is what syncd version prints.
type buildVersion struct {
	Version, Commit, Time, Go string
	Modified                  bool
}

// readVersion takes the module version and the VCS settings the go command
// stamps into the binary (go install ...@v1.2.3 gives the version, a build
// in a checkout the commit and its time), falling back to the -ldflags
// values where the build information has none, then to "unknown".
func readVersion() buildVersion {
	v := buildVersion{Go: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if m := info.Main.Version; m != "(devel)" {
			v.Version = m
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	v.Version = cmp.Or(v.Version, version, "(devel)")
	v.Commit = cmp.Or(v.Commit, commit, "unknown")
	v.Time = cmp.Or(v.Time, buildTime, "unknown")
	return v
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print syncd's version, commit, build time and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readVersion()
			dirty := ""
			if v.Modified {
				dirty = " (modified)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "syncd %s\ncommit %s%s\nbuilt %s\n%s %s/%s\n", v.Version, v.Commit, dirty, v.Time, v.Go, runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
