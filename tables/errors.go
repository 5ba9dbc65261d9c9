package tables

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by the problems LoadConfig, LoadTables, LoadTable
// and Validate report (file system errors aside), so callers and tests can tell problems apart with
// errors.Is while users read the full message.
var (
	// ErrUnknownConnection means a declaration names a connection that
	// syncd.yaml does not define.
	ErrUnknownConnection = errors.New("unknown connection")
	// ErrBadIdent means a table or column name is not a valid identifier.
	ErrBadIdent = errors.New("invalid identifier")
	// ErrMissing means a required field is empty.
	ErrMissing = errors.New("missing")
	// ErrOutOfRange means a number or duration lies outside its limits.
	ErrOutOfRange = errors.New("out of range")
	// ErrBadValue means a value is not one of those allowed, or of the
	// wrong type.
	ErrBadValue = errors.New("invalid value")
	// ErrUnknownKey means the YAML (or a SYNCD_ variable) sets a key that
	// does not exist, most often a typo.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicateName means two declarations share a name.
	ErrDuplicateName = errors.New("duplicate name")
	// ErrSyntax means a file is not well-formed YAML.
	ErrSyntax = errors.New("malformed YAML")
)

// problems collects every problem of one file, so a user fixes them all in
// one pass instead of one per run.
type problems struct {
	file string
	errs []error
}

// addf records one problem as "file: field: message". The format should
// wrap one of the sentinel errors with %w.
func (p *problems) addf(field, format string, args ...any) {
	args = append([]any{p.file, field}, args...)
	p.errs = append(p.errs, fmt.Errorf("%s: %s: "+format, args...))
}

// err joins the problems; nil when there are none.
func (p *problems) err() error { return errors.Join(p.errs...) }
