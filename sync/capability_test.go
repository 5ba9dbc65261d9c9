package datasync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/syncd/syncd/tables"
)

// bareSource is a Source and nothing more.
type bareSource struct{ countingSource }

func (*bareSource) Schema()   {} // not SchemaSource's: hides the embedded one
func (*bareSource) ReadKeys() {} // not KeyReader's

// bareTarget is a Target and nothing more.
type bareTarget struct{ slowTarget }

func (*bareTarget) SeenColumns()  {}
func (*bareTarget) RejectedKeys() {}

// A run whose source or target lacks what its declaration needs fails
// naming the interface and the feature, instead of skipping the check;
// on_bad_rows: fail needs no reject retry.
func TestMissingCapabilityIsAnErrorNamingIt(t *testing.T) {
	src := &countingSource{}
	tbl := tables.Table{Name: "t", Source: tables.Source{Key: []string{"id"}, Cursor: "c"}, BatchSize: 10, OnBadRows: tables.OnBadRowsReject}
	m, err := NewMapping(tbl, src.Columns())
	if err != nil {
		t.Fatal(err)
	}
	stop := func(int) error { return context.Canceled }
	cases := []struct {
		name   string
		src    Source
		tgt    Target
		fail   bool
		wanted string
	}{
		{"source without schema", &bareSource{}, &slowTarget{src: src}, false, "the source (*datasync.bareSource) is no datasync.SchemaSource, which the schema drift check needs"},
		{"target without schema", src, &bareTarget{slowTarget{src: src}}, false, "the target (*datasync.bareTarget) is no datasync.SchemaTarget, which the schema drift check needs"},
		{"target without rejects", src, &rejectless{slowTarget{src: src}}, false, "the target (*datasync.rejectless) is no datasync.RejectRetrier, which on_bad_rows: reject needs"},
		{"on_bad_rows fail needs no rejects", src, &rejectless{slowTarget{src: src}}, true, ""},
	}
	for _, c := range cases {
		o := Options{Table: tbl, Source: c.src, Target: c.tgt, Mapping: m, Logger: zerolog.Nop(), AfterPage: stop}
		if c.fail {
			o.Table.OnBadRows = tables.OnBadRowsFail
		}
		_, err := Run(context.Background(), o)
		if c.wanted == "" {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v, want the run to go on to its first page", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrCapability) || !strings.Contains(err.Error(), c.wanted) {
			t.Errorf("%s: %v, want ErrCapability: %s", c.name, err, c.wanted)
		}
	}
}

// rejectless keeps columns but no rejects.
type rejectless struct{ slowTarget }

func (*rejectless) RejectedKeys() {}
