package tables

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleAllowed says what a schedule may be, for messages.
const scheduleAllowed = `"@every D" with D at least 1s, @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, ` +
	`or a 5-field cron line like "*/5 * * * *"`

// descriptors are the cron shorthands a schedule may use.
var descriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

// run returns the settings a Table shares with Defaults.
func (t Table) run() Defaults {
	return Defaults{
		Schedule:  t.Schedule,
		BatchSize: t.BatchSize,
		Settle:    t.Settle,
		Overlap:   t.Overlap,
		OnBadRows: t.OnBadRows,
		Timeout:   t.Timeout,
		Queue:     t.Queue,

		PageTimeout: t.PageTimeout,
		MergePages:  t.MergePages,
	}
}

// setRun sets the settings a Table shares with Defaults.
func (t *Table) setRun(d Defaults) {
	t.Schedule, t.BatchSize, t.Settle = d.Schedule, d.BatchSize, d.Settle
	t.Overlap, t.OnBadRows, t.Timeout = d.Overlap, d.OnBadRows, d.Timeout
	t.Queue, t.PageTimeout, t.MergePages = d.Queue, d.PageTimeout, d.MergePages
}

// orBuiltin fills the fields of d where zero is never valid with the
// built-in defaults, so a Config made in code without Defaults still
// works. Settle and Overlap may be zero by choice and stay.
func (d Defaults) orBuiltin() Defaults {
	b := builtinDefaults()
	d.Schedule = cmp.Or(d.Schedule, b.Schedule)
	d.BatchSize = cmp.Or(d.BatchSize, b.BatchSize)
	d.OnBadRows = cmp.Or(d.OnBadRows, b.OnBadRows)
	d.Timeout = cmp.Or(d.Timeout, b.Timeout)
	d.Queue = cmp.Or(d.Queue, b.Queue)
	d.PageTimeout = cmp.Or(d.PageTimeout, b.PageTimeout)
	d.Runs.Keep = cmp.Or(d.Runs.Keep, DefaultRunsKeep)
	return d
}

// checkRun checks the settings a Table shares with Defaults; prefix is
// "defaults." for syncd.yaml and "" for a declaration.
func checkRun(p *problems, prefix string, r Defaults) {
	if r.Schedule == "" {
		p.addf(prefix+"schedule", "%w (allowed: %s)", ErrMissing, scheduleAllowed)
	} else if err := parseSchedule(r.Schedule); err != nil {
		p.addf(prefix+"schedule", "%w %q: %v (allowed: %s)", ErrBadValue, r.Schedule, err, scheduleAllowed)
	}
	if r.BatchSize < MinBatchSize || r.BatchSize > MaxBatchSize {
		p.addf(prefix+"batch_size", "%w: %d (allowed: %d to %d)", ErrOutOfRange, r.BatchSize, MinBatchSize, MaxBatchSize)
	}
	if r.Settle < 0 {
		p.addf(prefix+"settle", "%w: %v (allowed: 0s or more)", ErrOutOfRange, r.Settle)
	}
	if r.Overlap < 0 {
		p.addf(prefix+"overlap", "%w: %v (allowed: 0s or more)", ErrOutOfRange, r.Overlap)
	}
	if r.Timeout <= 0 {
		p.addf(prefix+"timeout", "%w: %v (allowed: more than 0s)", ErrOutOfRange, r.Timeout)
	}
	if r.PageTimeout <= 0 {
		p.addf(prefix+"page_timeout", "%w: %v (allowed: more than 0s)", ErrOutOfRange, r.PageTimeout)
	}
	if r.MergePages < 0 || r.MergePages > MaxMergePages {
		p.addf(prefix+"merge_pages", "%w: %d (allowed: 0 to %d; 0 and 1 commit each page alone)", ErrOutOfRange, r.MergePages, MaxMergePages)
	}
	checkOneOf(p, prefix+"on_bad_rows", r.OnBadRows, OnBadRowsReject, OnBadRowsFail)
	if !queueName.MatchString(r.Queue) {
		p.addf(prefix+"queue", "%w %q (allowed: letters, digits, '_', '-', '.' and ':', 1 to 64 of them)", ErrBadValue, r.Queue)
	}
}

// checkKeep checks runs.keep; prefix as checkRun's.
func checkKeep(p *problems, prefix string, keep time.Duration) {
	if keep < MinRunsKeep {
		p.addf(prefix+"runs.keep", "%w: %v (allowed: %v or more, like 720h or 30d)", ErrOutOfRange, keep, MinRunsKeep)
	}
}

// queueName is what a queue may be called: Asynq puts it inside Redis
// keys, so nothing that could confuse a key or a log line.
var queueName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// parseSchedule checks a schedule as the Asynq scheduler will read it
// (robfig/cron's standard parser), but stricter: no intervals under a
// second, which cron would round up, and no CRON_TZ= prefix.
func parseSchedule(s string) error {
	if d, ok := strings.CutPrefix(s, "@every "); ok {
		iv, err := time.ParseDuration(d)
		if err != nil {
			return fmt.Errorf("%q is not a duration", d)
		}
		if iv < time.Second {
			return fmt.Errorf("interval %v is under 1s", iv)
		}
	} else if strings.HasPrefix(s, "@") && !slices.Contains(descriptors, s) {
		return errors.New("unknown shorthand")
	} else if n := len(strings.Fields(s)); !strings.HasPrefix(s, "@") && n != 5 {
		return fmt.Errorf("%d fields, want 5 (minute hour day-of-month month day-of-week)", n)
	}
	if _, err := cron.ParseStandard(s); err != nil {
		return err
	}
	return checkSteps(s)
}

// cronFields are the fields of a cron line, with their ranges.
var cronFields = []struct {
	name     string
	min, max int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 6}}

// checkSteps refuses a step larger than its field's range, which cron
// takes silently: */61 in the minute field fires once an hour, at 0,
// surely not what was meant.
func checkSteps(s string) error {
	if strings.HasPrefix(s, "@") {
		return nil
	}
	for i, field := range strings.Fields(s) {
		f := cronFields[i]
		for _, part := range strings.Split(field, ",") {
			_, step, ok := strings.Cut(part, "/")
			if !ok {
				continue
			}
			if n, err := strconv.Atoi(step); err == nil && n > f.max-f.min {
				return fmt.Errorf("step %d of the %s field is larger than its range %d-%d", n, f.name, f.min, f.max)
			}
		}
	}
	return nil
}
