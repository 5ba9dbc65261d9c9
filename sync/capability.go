package datasync

import (
	"errors"
	"fmt"

	"github.com/syncd/syncd/tables"
)

// ErrCapability is wrapped by the error of a run whose source or target
// lacks an optional interface that its declaration needs: a correctness
// feature is never skipped for want of one.
var ErrCapability = errors.New("missing capability")

// needSchema returns o's source and target as the schema drift check
// every run makes needs them, or an error naming what is missing.
func needSchema(o Options) (SchemaSource, SchemaTarget, error) {
	ss, ok := o.Source.(SchemaSource)
	if !ok {
		return nil, nil, missing(o, "source", o.Source, "SchemaSource", "the schema drift check")
	}
	tk, ok := o.Target.(SchemaTarget)
	if !ok {
		return nil, nil, missing(o, "target", o.Target, "SchemaTarget", "the schema drift check")
	}
	return ss, tk, nil
}

// needRejects returns o's target and source as retrying rejected rows
// needs them; ok is false when the table fails on bad rows instead of
// keeping them (on_bad_rows: fail), so there is nothing to retry.
func needRejects(o Options) (rr RejectRetrier, kr KeyReader, ok bool, err error) {
	rr, isRR := o.Target.(RejectRetrier)
	kr, isKR := o.Source.(KeyReader)
	switch {
	case o.Table.OnBadRows == tables.OnBadRowsFail && (!isRR || !isKR):
		return nil, nil, false, nil
	case !isRR:
		return nil, nil, false, missing(o, "target", o.Target, "RejectRetrier", "on_bad_rows: reject")
	case !isKR:
		return nil, nil, false, missing(o, "source", o.Source, "KeyReader", "on_bad_rows: reject")
	}
	return rr, kr, true, nil
}

func missing(o Options, side string, v any, iface, what string) error {
	return fmt.Errorf("%s: %w: the %s (%T) is no datasync.%s, which %s needs", o.Table.Name, ErrCapability, side, v, iface, what)
}
