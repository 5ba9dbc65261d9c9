package datasync

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd/tables"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Ranges is how many key ranges the table is cut into when the whole
	// tables differ (default 16).
	Ranges int
	// Position is the table's stored position: source rows after it are
	// not synced yet, and a difference there is "pending", not a fault.
	// Synced is false when the table has never been synced.
	Position Position
	Synced   bool
	// MaxKeys caps the keys listed per kind in the report (default 100).
	MaxKeys int
	// PageTimeout, when set, bounds each range statement on either side
	// (a reconcile sets the table's page_timeout).
	PageTimeout time.Duration
}

// Mismatch is one key that differs.
type Mismatch struct {
	Key  string `json:"key"`
	Kind string `json:"kind"` // missing, extra, different, duplicate
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	SourceRows int64 `json:"source_rows"`
	TargetRows int64 `json:"target_rows"`
	// Ranges is how many key ranges were checksummed, Differing how many
	// of them differed (before narrowing to keys).
	Ranges    int   `json:"ranges"`
	Differing int   `json:"ranges_differing"`
	Missing   int64 `json:"missing"`   // in the source up to the position, not in the target
	Extra     int64 `json:"extra"`     // in the target, not in the source
	Different int64 `json:"different"` // in both, with other values
	// Duplicate counts target rows beyond the first of a key: a target
	// table whose primary key is not the declared key collects them.
	Duplicate int64 `json:"duplicate"`
	// Pending counts source rows after the stored position that the
	// target does not match yet: the next run brings them. PendingNew
	// are those of them the target does not hold at all.
	// Marked counts target rows marked deleted (deletes: mark) that were
	// left out of the comparison: deleted as far as it goes.
	Marked     int64      `json:"marked_deleted,omitempty"`
	Pending    int64      `json:"pending"`
	PendingNew int64      `json:"pending_new"`
	Keys       []Mismatch `json:"keys,omitempty"`
	// Columns is how many columns were compared; Skipped lists target
	// columns not compared (types with no canonical text on both sides,
	// like json).
	Columns int      `json:"columns"`
	Skipped []string `json:"skipped_columns,omitempty"`
	Equal   bool     `json:"equal"`
}

// leafRows is the size of a range whose rows are compared by key once
// its checksums differ: small enough that its key hashes are held in
// memory on both sides.
const leafRows = 2000

// directLeafRows is the size of the pieces of a differing range that are
// compared by key at once, without a checksum of each piece first: a
// piece's checksum costs the server the same hashing as its rows' hashes
// and a statement of its own, and where differences are dense (0.1% of
// the rows) nearly every piece differs and is then read again by key.
// On Babelfish, where every statement costs tens of milliseconds, a
// million rows with 2,000 differences took 4,369 checksums and 1,000
// leaves that way. It bounds the key hashes held per side too.
const directLeafRows = 10000

// Verify compares the target table with its source over the key space:
// a count and a checksum of every row's canonical text are computed in
// each database, per key range; ranges that differ are cut smaller until
// their rows can be compared by key hash. No table is copied into
// syncd's memory: it holds at most directLeafRows key hashes per side.
func Verify(ctx context.Context, src, tgt *SQLSource, m Mapping, o VerifyOptions) (VerifyReport, error) {
	v, err := diffTables(ctx, src, tgt, m, o, false)
	if err != nil {
		return VerifyReport{}, err
	}
	return *v.rep, nil
}

// diffTables runs the comparison of Verify and returns the verifier with
// what it found; with values, it also keeps the key values of every key
// it holds (source values for missing and different rows, target values
// for extra ones).
func diffTables(ctx context.Context, src, tgt *SQLSource, m Mapping, o VerifyOptions, values bool) (*verifier, error) {
	var rep VerifyReport
	sc, ok1 := src.d.(Checksummer)
	tc, ok2 := tgt.d.(Checksummer)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: the dialect cannot checksum rows", src.name())
	}
	tc, err := matchEncoding(sc, tc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.name(), err)
	}
	s, t, err := pairSides(src, tgt, sc, tc, m, values, &rep)
	if err != nil {
		return nil, err
	}
	rep.Columns = len(s.cols)
	v := &verifier{src: s, tgt: t, rep: &rep, maxKeys: o.MaxKeys, pos: &o.Position, page: tables.Table{PageTimeout: o.PageTimeout},
		missing: map[string]int64{}, extra: map[string]int64{}}
	if values {
		v.srcKeys, v.tgtKeys = map[string][]any{}, map[string][]any{}
	}
	if !o.Synced {
		v.pos = &Position{}
	}
	if v.maxKeys == 0 {
		v.maxKeys = 100
	}
	ranges := o.Ranges
	if ranges <= 0 {
		ranges = 16
	}
	if err := v.compare(ctx, nil, nil, ranges, 0); err != nil {
		return nil, err
	}
	v.settle()
	rep.Equal = equal(rep, o.Synced)
	return v, nil
}

// equal says whether a report shows a target that matches its source. A
// table never synced matches its source up to no cursor at all; calling
// that equal would pass a table nobody ever synced. The row counts must
// agree once the pending new rows are set aside, whatever the key
// comparison found: a count difference is never equal.
func equal(r VerifyReport, synced bool) bool {
	return synced && r.Missing == 0 && r.Extra == 0 && r.Different == 0 && r.Duplicate == 0 &&
		r.TargetRows+r.PendingNew == r.SourceRows
}

// pairSides builds the two sides of a comparison: the mapped columns
// that have a canonical text on both sides (the others are listed in
// rep.Skipped) and the keys, families taken from the source's dialect.
func pairSides(src, tgt *SQLSource, sc, tc Checksummer, m Mapping, values bool, rep *VerifyReport) (s, t *verifySide, err error) {
	s = &verifySide{s: src, c: sc, values: values}
	t = &verifySide{s: tgt, c: tc, values: values}
	tidx := ColumnIndex(tgt.Columns())
	for i, name := range m.Columns {
		col := src.cols[m.From[i]]
		f := sc.Family(col.Column)
		if f == FamilyOther {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s (%s)", name, col.DatabaseType))
			continue
		}
		j, ok := tidx.Find(name)
		if !ok {
			return nil, nil, fmt.Errorf("%s: target column %s not found", tgt.name(), name)
		}
		s.cols, s.fams = append(s.cols, col), append(s.fams, f)
		t.cols, t.fams = append(t.cols, tgt.cols[j]), append(t.fams, f)
	}
	for i, k := range src.keys {
		j, ok := tidx.Find(m.Key[i])
		if !ok {
			return nil, nil, fmt.Errorf("%s: target key column %s not found", tgt.name(), m.Key[i])
		}
		f := sc.Family(k.Column)
		s.keys, s.keyFams = append(s.keys, k), append(s.keyFams, f)
		t.keys, t.keyFams = append(t.keys, tgt.cols[j]), append(t.keyFams, f)
	}
	return s, t, nil
}
