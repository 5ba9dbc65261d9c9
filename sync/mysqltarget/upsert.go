package mysqltarget

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxPlaceholders is the most parameters one prepared statement may carry
// in the MySQL protocol (a 16-bit count).
const maxPlaceholders = 65535

// upsertSyntax is how a server spells "the value this row would have
// inserted" in ON DUPLICATE KEY UPDATE.
type upsertSyntax int

const (
	// syntaxValues is VALUES(col): MariaDB, and MySQL before 8.0.19.
	syntaxValues upsertSyntax = iota
	// syntaxAlias is INSERT ... AS new ... col = new.col: MySQL 8.0.19+,
	// where VALUES() is deprecated.
	syntaxAlias
)

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)`)

// syntaxFor picks the upsert syntax from SELECT VERSION().
func syntaxFor(version string) upsertSyntax {
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return syntaxValues
	}
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return syntaxValues
	}
	v := [3]int{}
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	if v[0] > 8 || v[0] == 8 && (v[1] > 0 || v[2] >= 19) {
		return syntaxAlias
	}
	return syntaxValues
}

// upsertSQL returns INSERT ... ON DUPLICATE KEY UPDATE for n rows. cols are
// quoted target columns, key the indexes of the primary-key columns, which
// are never updated (when every column is in the key, the key is set to
// itself, a no-op that keeps the statement valid).
func upsertSQL(table string, cols []string, key []int, n int, syn upsertSyntax) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	if syn == syntaxAlias {
		b.WriteString(" AS syncd_new")
	}
	b.WriteString(onDuplicate(table, cols, key, syn, false))
	return b.String()
}

// onDuplicate returns the ON DUPLICATE KEY UPDATE clause that sets every
// non-key column to the value the row would have inserted. When every
// column is in the key, the first key column of table is set to itself:
// a no-op that keeps the statement valid. It is qualified with the table,
// since after INSERT ... SELECT a bare name is ambiguous between the
// target and the stage (MariaDB error 1052). With counted, the first
// assignment also adds one to @syncd_found for each row that meets a row
// already in the table (see foundVar).
func onDuplicate(table string, cols []string, key []int, syn upsertSyntax, counted bool) string {
	isKey := make(map[int]bool, len(key))
	for _, k := range key {
		isKey[k] = true
	}
	var sets []string
	for i, c := range cols {
		if !isKey[i] {
			sets = append(sets, c+" = "+newValue(c, syn))
		}
	}
	if len(sets) == 0 {
		own := table + "." + cols[key[0]]
		sets = []string{own + " = " + own}
	}
	if counted {
		// The value set is unchanged: IF returns it either way.
		col, val, _ := strings.Cut(sets[0], " = ")
		sets[0] = col + " = IF((" + foundVar + " := " + foundVar + " + 1) > 0, " + val + ", " + val + ")"
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
}

// foundVar counts, during a merge, the staged rows that met a row already
// in the table, which with the rows affected splits the merge into
// inserted, updated and unchanged rows without a second pass over the
// table's keys (a join of the stage with the table cost as much as the
// merge). An assignment inside an expression is deprecated in MySQL 8,
// with a warning the merge does not read, and plain in MariaDB.
const foundVar = "@syncd_found"

func newValue(col string, syn upsertSyntax) string {
	if syn == syntaxAlias {
		return "syncd_new." + col
	}
	return "VALUES(" + col + ")"
}

// countSQL returns the query that counts how many of n keys already exist,
// which, with the upsert's rows affected, splits a page into inserted,
// updated and unchanged rows.
func countSQL(table string, keyCols []string, n int) string {
	one := "?"
	lhs := keyCols[0]
	if len(keyCols) > 1 {
		one = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(keyCols)), ", ") + ")"
		lhs = "(" + strings.Join(keyCols, ", ") + ")"
	}
	return "SELECT COUNT(*) FROM " + table + " WHERE " + lhs + " IN (" + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ") + ")"
}

// splitStats turns n rows written, d of whose keys existed before, and the
// server's rows affected (1 per insert, 2 per changed row, 0 per unchanged
// row) into counts. Keys that differ in Go but compare equal in the
// target's collation can make the figures inconsistent; the counts are then
// clamped, since they only describe the run and the rows are written all
// the same.
func splitStats(n, d, affected int64) (ins, upd, unch int64) {
	ins = max(n-d, 0)
	upd = max((affected-ins)/2, 0)
	unch = max(n-ins-upd, 0)
	return ins, upd, unch
}

// chunks cuts rows into runs that respect the placeholder limit and the
// server's max_allowed_packet. Full chunks all have the same length so that
// their prepared statement is reused.
func chunks(rows [][]any, ncols, maxPacket int) [][][]any {
	per := maxPlaceholders / ncols
	budget := maxPacket / 2 // room for the statement's own overhead
	var out [][][]any
	for len(rows) > 0 {
		n, size := 0, 0
		for n < len(rows) && n < per {
			size += rowSize(rows[n])
			if n > 0 && size > budget {
				break
			}
			n++
		}
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	return out
}

// rowSize estimates the bytes a row takes in an execute packet.
func rowSize(r []any) int {
	size := 0
	for _, v := range r {
		switch x := v.(type) {
		case string:
			size += len(x) + 9
		case []byte:
			size += len(x) + 9
		case time.Time:
			size += 12
		default:
			size += 9
		}
	}
	return size
}
