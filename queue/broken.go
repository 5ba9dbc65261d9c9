package queue

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/syncd/syncd/tables"
)

// BrokenFile is a declaration file that does not load.
type BrokenFile struct {
	Path string
	// Name is the table's name as far as the file could be read: its
	// name: field, else the file's base name.
	Name    string
	Problem string
	// Since is the file's modification time: when it broke, as far as
	// syncd can tell.
	Since time.Time
}

// BrokenFiles returns the files of fs that did not load.
func BrokenFiles(fs []tables.File) []BrokenFile {
	var out []BrokenFile
	for _, f := range fs {
		if f.Err != nil {
			out = append(out, brokenFile(f))
		}
	}
	return out
}

func brokenFile(f tables.File) BrokenFile {
	name := f.Table.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(f.Path), filepath.Ext(f.Path))
	}
	b := BrokenFile{Path: f.Path, Name: name, Problem: f.Err.Error()}
	if info, err := os.Stat(f.Path); err == nil {
		b.Since = info.ModTime()
	}
	return b
}

// WithBroken adds broken declaration files to sts, so that every table
// with a file shows: a table whose last good declaration still runs gets
// the file's problem as its last error; any other file shows as a table
// of its own with its problem. The result is sorted by name.
func WithBroken(sts []TableStatus, bs []BrokenFile) []TableStatus {
	for _, b := range bs {
		i := slices.IndexFunc(sts, func(s TableStatus) bool { return strings.EqualFold(s.Name, b.Name) })
		if i < 0 {
			sts = append(sts, TableStatus{Name: b.Name, Broken: true})
			i = len(sts) - 1
		}
		st := &sts[i]
		st.File = b.Path
		st.lastError(b.Problem, b.Since)
	}
	slices.SortStableFunc(sts, func(a, b TableStatus) int { return cmp.Compare(a.Name, b.Name) })
	return sts
}
