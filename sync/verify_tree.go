package datasync

import (
	"context"
	"slices"

	"github.com/syncd/syncd/tables"
)

// verifier walks the key ranges.
type verifier struct {
	src, tgt *verifySide
	rep      *VerifyReport
	pos      *Position
	maxKeys  int
	page     tables.Table // its PageTimeout bounds each range statement
	// missing and extra hold key: hash of rows found on one side only, so
	// a row that two databases' collations put into different ranges is
	// matched up at the end instead of reported twice. They hold at most
	// maxHeld keys each, so a target far from its source (an empty one)
	// does not fill syncd's memory; beyond that the rows are only counted.
	missing, extra         map[string]int64
	different              []string
	missingOver, extraOver int64
	differentOver          int64
	duplicate              []string
	// srcKeys and tgtKeys hold the key values of the held keys, by key
	// text, when the sides keep them (nil otherwise).
	srcKeys, tgtKeys map[string][]any
}

// maxHeld bounds the mismatched keys verify keeps per kind.
const maxHeld = 100000

// compare checksums [lo, hi) on both sides and narrows a difference down.
// parent is the row count of the enclosing range (0 at the top): a range
// that is not smaller than its parent (the two databases order the keys
// differently) is compared by key at once, so every path down the ranges
// shrinks and the work stays bounded by the table's size and its
// differences.
func (v *verifier) compare(ctx context.Context, lo, hi []any, pieces int, parent int64) error {
	top := parent == 0
	var sn, ssum, tn, tsum int64
	err := v.both(ctx, func(ctx context.Context) (err error) {
		sn, ssum, err = v.src.aggregate(ctx, lo, hi)
		return err
	}, func(ctx context.Context) (err error) {
		tn, tsum, err = v.tgt.aggregate(ctx, lo, hi)
		return err
	})
	if err != nil {
		return err
	}
	if top {
		v.rep.SourceRows, v.rep.TargetRows = sn, tn
	}
	v.rep.Ranges++
	if sn == tn && ssum == tsum {
		return nil
	}
	v.rep.Differing++
	n := max(sn, tn)
	if n <= leafRows || (!top && n >= parent) {
		return v.leaf(ctx, lo, hi)
	}
	side := v.src
	if tn > sn {
		side = v.tgt
	}
	var cuts [][]any
	step := (n + int64(pieces) - 1) / int64(pieces)
	err = bounded(ctx, v.page, func(ctx context.Context) (err error) {
		cuts, err = side.boundaries(ctx, lo, hi, step)
		return err
	})
	if err != nil {
		return err
	}
	if len(cuts) == 0 {
		return v.leaf(ctx, lo, hi)
	}
	bounds := append(append([][]any{lo}, cuts...), hi)
	direct := step <= directLeafRows
	for i := 0; i+1 < len(bounds); i++ {
		if direct {
			err = v.directLeaf(ctx, bounds[i], bounds[i+1])
		} else {
			err = v.compare(ctx, bounds[i], bounds[i+1], 16, n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// directLeaf compares a piece of a differing range by key without
// checksumming it first, and counts it as a range compared.
func (v *verifier) directLeaf(ctx context.Context, lo, hi []any) error {
	v.rep.Ranges++
	before := v.found()
	if err := v.leaf(ctx, lo, hi); err != nil {
		return err
	}
	if v.found() != before {
		v.rep.Differing++
	}
	return nil
}

// found counts the differences the leaves have found so far.
func (v *verifier) found() int64 {
	return int64(len(v.missing)+len(v.extra)+len(v.different)+len(v.duplicate)) +
		v.missingOver + v.extraOver + v.differentOver + v.rep.Pending
}

// both runs the source's statement and the target's at the same time, each
// bounded by the page timeout (see atOnce).
func (v *verifier) both(ctx context.Context, src, tgt func(context.Context) error) error {
	return atOnce(ctx,
		func(ctx context.Context) error { return bounded(ctx, v.page, src) },
		func(ctx context.Context) error { return bounded(ctx, v.page, tgt) })
}

// atOnce runs a source's statement and a target's at the same time: two
// databases, each busy with its own half, so a comparison costs the
// slower side rather than the sum of both. The source's error is returned
// first, and ends the target's statement, whose answer no longer matters.
func atOnce(ctx context.Context, src, tgt func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tgt(ctx) }()
	if err := src(ctx); err != nil {
		cancel()
		<-done
		return err
	}
	return <-done
}

// leaf compares the rows of [lo, hi) by key.
func (v *verifier) leaf(ctx context.Context, lo, hi []any) error {
	var s, t keyHashes
	err := v.both(ctx, func(ctx context.Context) (err error) {
		s, err = v.src.rowHashes(ctx, lo, hi, v.pos)
		return err
	}, func(ctx context.Context) (err error) {
		t, err = v.tgt.rowHashes(ctx, lo, hi, nil)
		return err
	})
	if err != nil {
		return err
	}
	sh, th := s.hashes, t.hashes
	v.rep.Duplicate += int64(len(t.dups))
	if len(v.duplicate) < maxHeld {
		v.duplicate = append(v.duplicate, t.dups...)
	}
	for k, h := range sh {
		g, ok := th[k]
		switch {
		case ok && g == h:
		case s.later[k]:
			v.rep.Pending++
			if !ok {
				v.rep.PendingNew++
			}
		case !ok && len(v.missing) < maxHeld:
			v.missing[k] = h
			keep(v.srcKeys, k, s.vals)
		case !ok:
			v.missingOver++
		case len(v.different) < maxHeld:
			v.different = append(v.different, k)
			keep(v.srcKeys, k, s.vals)
		default:
			v.differentOver++
		}
	}
	for k, h := range th {
		if _, ok := sh[k]; !ok {
			if len(v.extra) < maxHeld {
				v.extra[k] = h
				keep(v.tgtKeys, k, t.vals)
			} else {
				v.extraOver++
			}
		}
	}
	return nil
}

// settle matches rows found missing in one range and extra in another,
// then counts and lists what is left.
func (v *verifier) settle() {
	for k, h := range v.missing {
		if g, ok := v.extra[k]; ok {
			delete(v.missing, k)
			delete(v.extra, k)
			if g != h {
				v.different = append(v.different, k)
			}
		}
	}
	v.rep.Missing = int64(len(v.missing)) + v.missingOver
	v.rep.Extra = int64(len(v.extra)) + v.extraOver
	v.rep.Different = int64(len(v.different)) + v.differentOver
	add := func(kind string, keys []string) {
		slices.Sort(keys)
		for i, k := range keys {
			if i == v.maxKeys {
				break
			}
			v.rep.Keys = append(v.rep.Keys, Mismatch{Key: k, Kind: kind})
		}
	}
	add("missing", mapKeys(v.missing))
	add("extra", mapKeys(v.extra))
	add("different", v.different)
	add("duplicate", v.duplicate)
}

// keep copies the values of key k into held, unless held is nil.
func keep(held map[string][]any, k string, vals map[string][]any) {
	if held != nil {
		held[k] = vals[k]
	}
}

func mapKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
