package mysqltarget

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	gomysql "github.com/go-sql-driver/mysql"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

// The staged write path: a page is streamed with LOAD DATA LOCAL INFILE
// into an empty temporary staging table and merged into the target with
// one INSERT ... SELECT ... ON DUPLICATE KEY UPDATE, inside the page's
// transaction, before the position moves. The server parses one stream
// instead of a statement with a marker per value, which is what makes it
// faster than the prepared multi-row upsert.
//
// LOAD DATA LOCAL turns conversion errors into warnings and skips
// duplicate keys, so the stage is checked before the merge: exactly as
// many rows as sent, and no warning. A page that fails the check (or holds
// a value the stream cannot carry exactly) is written by the prepared
// upsert instead, in the same transaction, whose errors name the bad value.

// readerSeq numbers the readers handed to the driver; the driver's
// registry of readers is global to the process.
var readerSeq atomic.Uint64

// stageName is the temporary staging table of a target table: in the
// target's database, so that an unqualified pool still finds it.
func stageName(target tables.Ident) string { return tempName(target, "syncd_stage_") }

// tempName is a temporary table beside target, its name prefixed and cut
// to MySQL's 64 characters.
func tempName(target tables.Ident, prefix string) string {
	parts := append([]string(nil), target.Parts...)
	name := prefix + parts[len(parts)-1]
	parts[len(parts)-1] = name[:min(len(name), 64)]
	return tables.Ident{Parts: parts}.Backticked()
}

// writeStaged writes rows through the stage. ok is false when the page
// was not written (the stage refused it) and the caller must upsert it;
// err is set only for failures that leave the transaction unusable.
func (t *Target) writeStaged(ctx context.Context, tx *sql.Tx, rows []datasync.Row) (ws datasync.WriteStats, ok bool, err error) {
	data, encoded := encodeRows(rows)
	return t.writeStagedData(ctx, tx, rows, data, encoded)
}

// writeStagedData is writeStaged of rows already encoded.
func (t *Target) writeStagedData(ctx context.Context, tx *sql.Tx, rows []datasync.Row, data []byte, encoded bool) (ws datasync.WriteStats, ok bool, err error) {
	if !encoded {
		return ws, false, nil
	}
	stage := stageName(t.ident)
	cols := strings.Join(t.cols, ", ")
	// A temporary table is the session's own, so concurrent runs never
	// share one, and CREATE/DROP TEMPORARY do not end the transaction.
	// Recreated per page, it always has the target's current columns.
	for _, q := range []string{
		"DROP TEMPORARY TABLE IF EXISTS " + stage,
		"CREATE TEMPORARY TABLE " + stage + " ENGINE=" + t.stageEngine() + " AS SELECT " + cols + " FROM " + t.table + " WHERE 1=0",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return ws, false, t.stageFailed(err)
		}
	}
	defer tx.ExecContext(context.WithoutCancel(ctx), "DROP TEMPORARY TABLE IF EXISTS "+stage) //nolint:errcheck // gone with the session anyway
	if ok, err := t.load(ctx, tx, stage, cols, data, len(rows)); !ok || err != nil {
		return ws, false, err
	}
	return t.merge(ctx, tx, stage, "", len(rows))
}

// stageEngine is MEMORY, the cheapest table to fill and read once, unless
// the target has a column MEMORY cannot hold (TEXT, BLOB), then the
// server's default.
func (t *Target) stageEngine() string {
	if t.stageOnDisk.Load() {
		return "InnoDB"
	}
	return "MEMORY"
}

// stageFailed decides what an error in building the stage means: MEMORY
// refusing a column moves the stage to disk; anything else (no privilege
// to create temporary tables, say) turns the staged path off for this
// Target. The page is then upserted, which reports a broken connection.
func (t *Target) stageFailed(err error) error {
	var me *gomysql.MySQLError
	if errors.As(err, &me) && me.Number == 1163 { // MEMORY does not support BLOB/TEXT columns
		t.stageOnDisk.Store(true)
		return nil
	}
	t.noStage.Store(true)
	return nil
}

// load streams data into the stage and checks that it holds n rows and the
// server raised no warning. LOAD DATA LOCAL being disabled on either side
// turns the staged path off for this Target.
func (t *Target) load(ctx context.Context, tx *sql.Tx, stage, cols string, data []byte, n int) (bool, error) {
	loaded, warnings, err := t.loadInto(ctx, tx, stage, cols, "", data)
	if err != nil {
		// A refused LOAD leaves the transaction usable: the page is
		// upserted instead, and that reports a broken connection.
		if localInfileRefused(err) {
			t.noStage.Store(true)
		}
		return false, nil
	}
	return loaded == int64(n) && warnings == 0, nil
}

// localInfileRefused reports the server (1148, 3948) or the driver
// refusing LOAD DATA LOCAL.
func localInfileRefused(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1148 || me.Number == 3948
	}
	return strings.Contains(err.Error(), "local_infile")
}

// merge upserts the stage into the target in key order (the same lock
// order as the prepared upsert) and counts the outcome like it.
func (t *Target) merge(ctx context.Context, tx *sql.Tx, stage, tie string, n int) (datasync.WriteStats, bool, error) {
	var ws datasync.WriteStats
	if _, err := tx.ExecContext(ctx, "SET "+foundVar+" = 0"); err != nil {
		return ws, false, err
	}
	res, err := tx.ExecContext(ctx, mergeSQL(t.table, stage, t.cols, t.key, tie, t.syntax))
	if err != nil {
		return ws, false, fmt.Errorf("merge %d staged rows into %s: %w", n, t.ident, err)
	}
	affected, err := res.RowsAffected()
	if err != nil {
		return ws, false, err
	}
	var existed int64
	if err := tx.QueryRowContext(ctx, "SELECT "+foundVar).Scan(&existed); err != nil {
		return ws, false, fmt.Errorf("count existing keys in %s: %w", t.ident, err)
	}
	ins, upd, unch := splitStats(int64(n), existed, affected)
	t.stagedPages.Add(1)
	return datasync.WriteStats{Inserted: ins, Updated: upd, Unchanged: unch}, true, nil
}

// mergeSQL returns INSERT ... SELECT ... ON DUPLICATE KEY UPDATE from the
// stage, in key order and, for a key staged twice (tie not empty), in
// the order of the tie column, so that the later row is applied last.
// MySQL 8.0.19+ names the new values through a derived table's
// alias, since VALUES() is deprecated there and a row alias is not allowed
// after a SELECT. (MySQL may drop a derived table's ORDER BY; rows are then
// locked in the server's order, and a deadlock retries the page.)
func mergeSQL(table, stage string, cols []string, key []int, tie string, syn upsertSyntax) string {
	list := strings.Join(cols, ", ")
	keys := make([]string, len(key))
	for i, k := range key {
		keys[i] = cols[k]
	}
	if tie != "" {
		keys = append(keys, tie)
	}
	sel := "SELECT " + list + " FROM " + stage + " ORDER BY " + strings.Join(keys, ", ")
	if syn == syntaxAlias {
		sel = "SELECT * FROM (" + sel + ") AS syncd_new"
	}
	return "INSERT INTO " + table + " (" + list + ") " + sel + onDuplicate(table, cols, key, syn, true)
}

// encodeRows renders rows in LOAD DATA's text format: tab between fields,
// newline after each row, \N for NULL, backslash escapes. Every value
// becomes the text the prepared upsert would have sent for it, so the
// server converts both alike. ok is false for a value the format cannot
// carry exactly: bytes (binary columns), invalid UTF-8, a non-finite
// float, a year outside 1-9999, or a type the portable rows never hold.
func encodeRows(rows []datasync.Row) (data []byte, ok bool) {
	if len(rows) == 0 {
		return nil, true
	}
	// Sized from the first row, so that the buffer rarely grows (and
	// copies) while the page is encoded.
	first, ok := appendRow(nil, rows[0])
	if !ok {
		return nil, false
	}
	b := make([]byte, 0, len(first)*len(rows)*9/8+64)
	for _, r := range rows {
		if b, ok = appendRow(b, r); !ok {
			return nil, false
		}
	}
	return b, true
}

// appendRow appends one row and its newline.
func appendRow(b []byte, r datasync.Row) ([]byte, bool) {
	var ok bool
	for i, v := range r {
		if i > 0 {
			b = append(b, '\t')
		}
		if b, ok = appendValue(b, v); !ok {
			return b, false
		}
	}
	return append(b, '\n'), true
}

func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return b, false
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64), true
	case string:
		if !utf8.ValidString(x) {
			return b, false
		}
		return appendEscaped(b, x), true
	case time.Time:
		return appendTime(b, x)
	}
	return b, false
}

// appendEscaped escapes what LOAD DATA would read as structure. Most
// values hold none of it and are copied whole: this runs for every string
// of every row.
func appendEscaped(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\t\n\r\x00") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case 0:
			b = append(b, `\0`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendTime writes t as the driver sends a time.Time parameter with
// loc=UTC (see OpenDB): the UTC wall clock with up to nine fractional
// digits, the zero time as 0000-00-00.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if t.IsZero() {
		return append(b, "0000-00-00"...), true
	}
	t = t.In(time.UTC)
	year, month, day := t.Date()
	if year < 1 || year > 9999 {
		return b, false
	}
	// By hand rather than with AppendFormat, which parses its layout for
	// every value and was a tenth of syncd's CPU in a first load.
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, ' ')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		b = append(b, '.')
		b = appendDigits(b, ns, 9)
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return b, true
}

// appendDigits writes n, which is not negative, zero-padded to width.
func appendDigits(b []byte, n, width int) []byte {
	var d [9]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}
