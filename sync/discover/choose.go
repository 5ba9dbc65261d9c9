// Package discover writes table declarations from a source's catalog:
// for each table it chooses the key and the cursor syncd would need, or
// says why the table cannot be synced as it is. The rules are
// docs/operations.md's "Declaring tables with syncd discover".
package discover

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// Choice is what discover decided for one source table.
type Choice struct {
	Entry     datasync.TableEntry
	Key       []string
	KeyWhy    string // "primary key", "unique index ux_code"
	Cursor    string
	CursorWhy string // "rowversion", "modification time, leads index ix_m"
	// AppendOnly is set when the cursor is the identity column: rows
	// changed after they were inserted are not read again.
	AppendOnly bool
	// Skip is why no declaration can be written; "" when one can.
	Skip     string
	Warnings []Warning
}

// Warning is a doubt about a written choice: Kind is a short tag for a
// table's column, Text the whole story with the fix.
type Warning struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Kinds of Warning.
const (
	WarnNullable   = "cursor nullable"
	WarnNotIndexed = "cursor not indexed"
	WarnLarge      = "large: snapshot"
	WarnAppendOnly = "append-only"
)

// Reasons a table is skipped.
const (
	SkipNoKey      = "no key: no primary key and no unique index on NOT NULL columns"
	SkipNoCursor   = "no cursor: no rowversion, no date-time column named as a modification time (updated_at, modified, FMODIFYDATE...), no identity column"
	SkipUnreadable = "catalog not readable: its columns or indexes could not be read (a privilege missing?); grant it or declare the table by hand"
	SkipView       = "view without a key: a view has no primary key or unique index; declare it by hand with source.key"
	SkipOddName    = "the key or cursor column has a name source.key and source.cursor cannot hold (allowed: letters, digits, _ $ # @, not starting with a digit); rename it or declare a query: with an alias"
)

// choose decides the key and cursor of one table from its catalog.
func choose(e datasync.TableEntry, info datasync.TableInfo) Choice {
	c := Choice{Entry: e}
	cols := columnsByName(info)
	var odd bool
	c.Key, c.KeyWhy, odd = chooseKey(info, cols)
	switch {
	case c.Key == nil && odd:
		c.Skip = SkipOddName
	case c.Key == nil && e.View:
		c.Skip = SkipView
	case c.Key == nil:
		c.Skip = SkipNoKey
	}
	if c.Skip != "" {
		return c
	}
	c.Cursor, c.CursorWhy, c.AppendOnly, odd = chooseCursor(e, info)
	switch {
	case c.Cursor == "" && odd:
		c.Skip = SkipOddName
	case c.Cursor == "":
		c.Skip = SkipNoCursor
	}
	return c
}

func columnsByName(info datasync.TableInfo) map[string]datasync.ColumnInfo {
	m := make(map[string]datasync.ColumnInfo, len(info.Columns))
	for _, c := range info.Columns {
		m[strings.ToLower(c.Name)] = c
	}
	return m
}

// chooseKey returns the primary key, else the unique index of fewest
// columns whose columns are all NOT NULL (a NULL in a unique index does
// not identify a row; an expression is no column), the first by name on a
// tie. odd says a key was passed over for a column name a declaration
// cannot hold.
func chooseKey(info datasync.TableInfo, cols map[string]datasync.ColumnInfo) (key []string, why string, odd bool) {
	var best *datasync.Index
	for i, ix := range info.Indexes {
		if (ix.Primary || ix.Unique) && slices.ContainsFunc(ix.Columns, notDeclarable) {
			odd = true
			continue
		}
		if ix.Primary {
			return slices.Clone(ix.Columns), "primary key", false
		}
		if !ix.Unique || !allNotNull(ix.Columns, cols) {
			continue
		}
		if best == nil || len(ix.Columns) < len(best.Columns) ||
			(len(ix.Columns) == len(best.Columns) && ix.Name < best.Name) {
			best = &info.Indexes[i]
		}
	}
	if best == nil {
		return nil, "", odd
	}
	return slices.Clone(best.Columns), "unique index " + best.Name, false
}

var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$#@]*$`)

// Declarable reports whether a column's name can be written in
// source.key or source.cursor, which name columns as they are (unquoted).
func Declarable(col string) bool { return plainName.MatchString(col) }

func notDeclarable(col string) bool { return !Declarable(col) }

func allNotNull(names []string, cols map[string]datasync.ColumnInfo) bool {
	for _, n := range names {
		c, ok := cols[strings.ToLower(n)]
		if !ok || c.Nullable {
			return false
		}
	}
	return true
}

// modNames are the column names that say "modified at", in the spellings
// ERPs use (English, German, French, Spanish, Italian, Portuguese, Dutch),
// matched on the name lower-cased with _ - and spaces removed. The order
// is the preference on a tie.
var modNames = regexp.MustCompile(`updated|modif|lastmod|moddate|modtime|modts|lastupdate|updatedate|updatetime|updatets|changed|changedate|changetime|lastchange|aenderung|anderung|geaendert|geandert|datemaj|dtmaj|wijzig|alterado|actualiza|aggiorna`)

// isTimeType reports whether a catalog type is a date-time with a time
// part that compares in order (not a DATETIMEOFFSET, whose order is by
// instant while its text is by wall clock, nor a DATE).
func isTimeType(typ string) bool {
	t := strings.ToLower(typ)
	return strings.HasPrefix(t, "datetime") && !strings.HasPrefix(t, "datetimeoffset") ||
		strings.HasPrefix(t, "smalldatetime") || strings.HasPrefix(t, "timestamp")
}

// IsModificationName reports whether a column's name says it holds the
// time of a row's last change.
func IsModificationName(name string) bool {
	n := strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(name))
	return modNames.MatchString(n)
}

// chooseCursor returns the cursor: a rowversion column first; else the
// best modification-time column (NOT NULL before nullable, leading an
// index before not, then catalog order); else the identity column, which
// makes the table append-only.
func chooseCursor(e datasync.TableEntry, info datasync.TableInfo) (col, why string, appendOnly, odd bool) {
	best, bestScore := "", -1
	for _, c := range info.Columns {
		isRV := strings.EqualFold(c.Type, "ROWVERSION")
		if !isRV && (!isTimeType(c.Type) || !IsModificationName(c.Name)) {
			continue
		}
		if !Declarable(c.Name) {
			odd = true
			continue
		}
		if isRV {
			return c.Name, "rowversion", false, false
		}
		score := 0
		if !c.Nullable {
			score += 2
		}
		if leadsIndex(info.Indexes, c.Name) != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = c.Name, score
		}
	}
	if best != "" {
		why := "modification time"
		if ix := leadsIndex(info.Indexes, best); ix != "" {
			why += ", leads index " + ix
		}
		return best, why, false, false
	}
	if e.Identity != "" && Declarable(e.Identity) {
		return e.Identity, "identity: append-only", true, false
	}
	return "", "", false, odd || e.Identity != ""
}

// leadsIndex returns the name of an index whose first column is col.
func leadsIndex(ixs []datasync.Index, col string) string {
	for _, ix := range ixs {
		if len(ix.Columns) > 0 && strings.EqualFold(ix.Columns[0], col) {
			return ix.Name
		}
	}
	return ""
}

// warn adds the warnings of a written choice: a nullable or unindexed
// cursor (with the index that would fix it), and a table far larger than
// the others, whose first load is a snapshot. quote quotes an identifier
// of the source; median is the median estimated rows of the tables seen.
func (c *Choice) warn(info datasync.TableInfo, quote func(parts ...string) string, median int64) {
	cols := columnsByName(info)
	if col, ok := cols[strings.ToLower(c.Cursor)]; ok && col.Nullable {
		c.Warnings = append(c.Warnings, Warning{WarnNullable, fmt.Sprintf("cursor %s is nullable: rows where it is NULL are never read, and check --connect refuses it until it is NOT NULL", c.Cursor)})
	}
	if leadsIndex(info.Indexes, c.Cursor) == "" {
		want := append([]string{c.Cursor}, slices.DeleteFunc(slices.Clone(c.Key), func(k string) bool { return strings.EqualFold(k, c.Cursor) })...)
		quoted := make([]string, len(want))
		for i, w := range want {
			quoted[i] = quote(w)
		}
		c.Warnings = append(c.Warnings, Warning{WarnNotIndexed, fmt.Sprintf("cursor %s is not indexed (check --connect refuses it): CREATE INDEX %s ON %s (%s)",
			c.Cursor, quote("ix_"+c.Entry.Name.Name()+"_syncd"), quote(c.Entry.Name.Parts...), strings.Join(quoted, ", "))})
	}
	if large(c.Entry.Rows, median) {
		c.Warnings = append(c.Warnings, Warning{WarnLarge, fmt.Sprintf("about %d rows, far more than the other tables (median %d): its first load is a snapshot in parts, see docs/operations.md", c.Entry.Rows, median)})
	}
	if c.AppendOnly {
		c.Warnings = append(c.Warnings, Warning{WarnAppendOnly, "the cursor is the identity column " + c.Cursor + ": a row changed after it was inserted is not read again"})
	}
}

// large reports whether a table of rows is much larger than the median:
// ten times it and big enough for a snapshot.
func large(rows, median int64) bool {
	return rows >= 10*max(median, 1) && rows >= tables.SnapshotRowsPerPart
}
