package datasync

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Why a row of the window differs, as far as the evidence goes.
//
//   - Set back: the target holds the row with a newer cursor value than
//     the source (seen where the target holds the cursor's column): its
//     cursor moved backwards, a backdated change. Certain.
//   - Late or set back, by age: the target lacks the row or holds an
//     older version. A commit later than settle does that, and so does a
//     change backdated to a value syncd had passed (a modification date
//     set by hand): the rows look alike. What tells them apart is the
//     cursor value's age: syncd had read past it at a source clock of at
//     least K (the stored position's cursor plus settle, since the run
//     that stored it read up to there; or, for a kept setup whose last
//     run ended at this position, that run's clock), and it found the row
//     neither missing nor older then, so the row committed after K. A
//     commit at most lookback late (what the lookback is there for: it
//     settles a window once the clock is lookback past it) carries a
//     cursor value after K - lookback; an older one is a backdated change
//     (set back) or, for a row the target lacks, a row the target lost or
//     one inserted with a backdated cursor (counted lost: not late).
//     Within that age the two cannot be told apart and the row counts as
//     late.
//   - Lost: the target lacks the row at the stored position itself, while
//     the source still holds it there. syncd wrote that row in the
//     transaction that stored the position, and neither a late commit nor
//     a backdated change removes it from the target: the target lost rows
//     (deleted or emptied by hand, a restore). Every row the target lacks
//     in that run counts as lost then.
//
// Only late rows are helped by a longer settle; the advice says so.

// why is one reason a row differs.
type why int

const (
	whyLate    why = iota // the target holds an older version, within a late commit's age
	whyLateNew            // the target lacks it, within a late commit's age
	whySetBack
	whyLost
)

// whyCounts counts the rows of each reason.
type whyCounts [whyLost + 1]int64

func (w whyCounts) add(o whyCounts) whyCounts {
	for i := range w {
		w[i] += o[i]
	}
	return w
}

// of is a count of one row of reason y.
func of(y why) whyCounts {
	var w whyCounts
	w[y] = 1
	return w
}

// passedAt is a position and the source clock (in the cursor's terms) at
// which a run of this setup had read and compared everything up to it.
type passedAt struct {
	pos   string
	clock time.Time
}

// passed records that a run of this setup ended at pos with upper bound
// hi (the source's clock minus settle).
func passed(o Options, pos Position, hi any) {
	if h, ok := hi.(time.Time); ok && o.Current != nil {
		o.Current.passed.Store(&passedAt{pos: pos.String(), clock: h.Add(o.Table.Settle)})
	}
}

// judge tells why rows of the window behind end differ.
type judge struct {
	end Position
	// lateSince is the oldest cursor value a commit at most lookback
	// late, found by this run, can carry.
	lateSince time.Time
	// endLost is set once the target is found to lack the row at end.
	endLost bool
}

// newJudge returns the judge of the window behind pos, a time position.
func newJudge(o Options, pos Position) judge {
	k := pos.Cursor.(time.Time).Add(o.Table.Settle)
	if p := o.Current.passed.Load(); p != nil && p.pos == pos.String() && p.clock.After(k) {
		k = p.clock
	}
	return judge{end: pos, lateSince: k.Add(-o.Table.Lookback)}
}

// why says why source row r differs from the target, given the target's
// signature sig of its key (ok: the target holds the key); narrowed: sig
// is the cursor value's canonical text, which orders as the time does.
func (j *judge) why(r windowRow, sig string, ok, narrowed bool) whyCounts {
	if ok && narrowed && sig > r.sig {
		return of(whySetBack)
	}
	if !ok && !r.deleted && j.isEnd(r.pos) {
		j.endLost = true
	}
	c, _ := r.pos.Cursor.(time.Time)
	switch {
	case c.Before(j.lateSince) && ok:
		return of(whySetBack)
	case c.Before(j.lateSince):
		return of(whyLost)
	case ok:
		return of(whyLate)
	}
	return of(whyLateNew)
}

// isEnd reports whether p is the stored position.
func (j *judge) isEnd(p Position) bool {
	c, ok1 := p.Cursor.(time.Time)
	e, ok2 := j.end.Cursor.(time.Time)
	if !ok1 || !ok2 || !c.Equal(e) || j.end.Key == nil {
		return false
	}
	a, err1 := EncodeKey(p.Key)
	b, err2 := EncodeKey(j.end.Key)
	return err1 == nil && err2 == nil && a == b
}

// settleLost counts the rows the target lacked as lost once the target
// was found to lack the row at the stored position.
func (j *judge) settleLost(w *whyCounts) {
	if j.endLost {
		w[whyLost] += w[whyLateNew]
		w[whyLateNew] = 0
	}
}

// record adds w to the run's counts and notes and logs each kind with
// the advice that fits it.
func (w whyCounts) record(o Options, rec *RunRecord, log zerolog.Logger) {
	late := w[whyLate] + w[whyLateNew]
	rec.Late += late
	rec.SetBack += w[whySetBack]
	rec.Lost += w[whyLost]
	if late > 0 {
		log.Warn().Int64("late_rows", late).Dur("lookback", o.Table.Lookback).Dur("settle", o.Table.Settle).
			Msg("rows committed behind the cursor later than settle were written again: raise settle to avoid them")
	}
	if n := w[whySetBack]; n > 0 {
		log.Warn().Int64("set_back_rows", n).Dur("lookback", o.Table.Lookback).
			Msg("rows whose cursor was set back behind the stored cursor (a backdated change, not a late commit) were written again: settle does not help; reconcile finds those set back further than lookback")
		rec.Notes = addNote(rec.Notes, fmt.Sprintf("lookback: %d rows set back behind the cursor written again (not late commits)", n))
	}
	if n := w[whyLost]; n > 0 {
		log.Warn().Int64("lost_rows", n).Dur("lookback", o.Table.Lookback).
			Msg("rows missing in the target that no late commit explains (removed there, not by syncd, or inserted with a backdated cursor) were written again: settle does not help; reconcile restores those behind the window")
		rec.Notes = addNote(rec.Notes, fmt.Sprintf("lookback: %d rows the target had lost written again (not late commits): run reconcile", n))
	}
}

// addNote appends note to a run's notes.
func addNote(notes, note string) string { return strings.TrimPrefix(notes+"; "+note, "; ") }
