package main

// The human text of syncd status: the table, and how each column renders.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd/syncd/queue"
	"github.com/syncd/syncd/sync/state"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printStatus writes the human table of syncd status; problems follow it,
// one line each.
func printStatus(w io.Writer, sts []queue.TableStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSTATE\tTASK\tCURSOR\tLAG\tROW AGE\tLAST RUN\tLAST OK\tREJECTED\tLATE\tNEXT RUN\tLAST RECONCILE")
	var problems []string
	for _, s := range sts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Name, stateText(s), taskText(s), orDash(s.Cursor),
			secondsText(s.LagSeconds), secondsText(s.RowAgeSeconds), lastRunText(s.LastRun, now), agoText(s.LastSuccess, now), s.RowsRejected,
			lateText(s.Late, now), nextText(s.NextRun, now), reconcileText(s.LastReconcile, now))
		for _, p := range s.Problems {
			if !saidByLastError(p, s.LastError) {
				problems = append(problems, s.Name+": "+p)
			}
		}
		if s.LastError != "" {
			problems = append(problems, s.Name+": last error "+agoText(s.LastErrorAt, now)+": "+strings.Join(strings.Fields(s.LastError), " "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
	return nil
}

// saidByLastError reports whether problem p ("target: connect to ...")
// only repeats the table's last error: a target that refuses the login
// fails both the status read and the task, and the last error line says
// more (when, whether it is retried).
func saidByLastError(p, lastError string) bool {
	_, what, ok := strings.Cut(p, ": ")
	return ok && lastError != "" && strings.Contains(lastError, what)
}

func stateText(s queue.TableStatus) string {
	switch {
	case s.Broken, s.Failing:
		return "broken"
	case s.Paused:
		return "paused"
	}
	return "active"
}

func taskText(s queue.TableStatus) string {
	switch {
	case s.Snapshot != nil:
		return fmt.Sprintf("snapshot %d/%d parts %d rows", s.Snapshot.PartsDone, s.Snapshot.Parts, s.Snapshot.Rows)
	case s.Task == "":
		return "-"
	case s.Progress != nil && s.Total > 0:
		return fmt.Sprintf("%s %d/%d rows", s.Task, s.Progress.Rows, s.Total)
	case s.Progress != nil:
		return fmt.Sprintf("%s %d rows", s.Task, s.Progress.Rows)
	}
	return s.Task
}

// partsText says how far each part of a running snapshot got, for
// --wait and the status page; empty when no snapshot runs.
func partsText(s queue.TableStatus) string {
	if s.Snapshot == nil {
		return ""
	}
	parts := make([]string, len(s.Snapshot.PartList))
	for i, p := range s.Snapshot.PartList {
		state := "after " + orDash(p.LastKey)
		if p.Done {
			state = "done"
		}
		parts[i] = fmt.Sprintf("part %d: %d rows, %s", p.Part, p.Rows, state)
	}
	return strings.Join(parts, "; ")
}

func lastRunText(r *state.RunRow, now time.Time) string {
	switch {
	case r == nil:
		return "-"
	case r.Repeated > 0:
		return fmt.Sprintf("%s %d times, last %s", r.Status, r.Repeated+1, agoText(r.RepeatedAt, now))
	}
	return fmt.Sprintf("%s %d rows %s", r.Status, r.Read, runWhen(r, now))
}

// runWhen says when a run ended, or when it started while it runs.
func runWhen(r *state.RunRow, now time.Time) string {
	if r.Ended != nil {
		return agoText(r.Ended, now)
	}
	return "started " + agoText(&r.Started, now)
}

// secondsText renders a lag or an age in seconds, "-" when unknown.
func secondsText(s *float64) string {
	if s == nil {
		return "-"
	}
	return shortDuration(time.Duration(*s * float64(time.Second)))
}

// agoText renders how long ago t was; a t ahead of now (another
// machine's clock) is "0s ago", never a negative age.
func agoText(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return shortDuration(max(now.Sub(*t), 0)) + " ago"
}

// nextText renders when t comes; a time that has come (a tick being
// enqueued right now) is "due now", never "in -5s".
func nextText(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	if d := t.Sub(now).Round(time.Second); d > 0 {
		return "in " + shortDuration(d)
	}
	return "due now"
}

// shortDuration renders d in its two largest units (45s, 5m30s, 2h5m,
// 3d4h): what a person scanning a table needs.
func shortDuration(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	d = d.Round(time.Second)
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for i, u := range units[:3] {
		if d >= u.size {
			next := units[i+1]
			return fmt.Sprintf("%s%d%s%d%s", neg, d/u.size, u.name, d%u.size/next.size, next.name)
		}
	}
	return fmt.Sprintf("%s%ds", neg, d/time.Second)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
