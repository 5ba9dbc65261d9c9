package mysqltarget

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

// Key sizing for target.create: InnoDB refuses a primary key whose columns
// take more than the server's key limit (3,072 bytes with DYNAMIC rows and
// 16 KiB pages) with Error 1071, counting 4 bytes per utf8mb4 character of
// a VARCHAR. The type maps give each text key column up to 768 characters,
// which fits alone but not beside another column, so FitKey divides the
// limit among a key's string columns.

// KeyLimit returns the largest primary key, in bytes, that the target
// server takes in a new table: 3,072 for DYNAMIC or COMPRESSED rows with
// 16 KiB pages or more, less with smaller pages, 767 for COMPACT or
// REDUNDANT rows (MariaDB 10.11 and MySQL 8 alike).
func KeyLimit(ctx context.Context, db *sql.DB) (int, error) {
	var page int
	var format string
	if err := db.QueryRowContext(ctx, "SELECT @@innodb_page_size, @@innodb_default_row_format").Scan(&page, &format); err != nil {
		return 0, fmt.Errorf("read the target's key length limit: %w", err)
	}
	switch f := strings.ToLower(format); {
	case f == "compact" || f == "redundant":
		return 767, nil
	case page > 0 && page < 16384:
		return page * 3 / 16, nil // 4 KiB: 768, 8 KiB: 1536
	}
	return 3072, nil
}

// keyPart is what one primary-key column takes of the key limit.
type keyPart struct {
	col   int   // index in TableDef.Columns
	fixed int   // bytes of a fixed-width type
	unit  int   // bytes per character (4) or byte (1) of a string type, 0 for a fixed-width one
	want  int64 // declared length of a string type, math.MaxInt64 for TEXT or BLOB
	bound int64 // the longest source value, math.MaxInt64 when unknown
	char  bool  // a CHAR or BINARY type, kept as it is when it fits
}

// FitKey sizes the string columns of def's primary key so that the key
// fits limit bytes: the fixed-width key columns take their width, and the
// rest is divided evenly among the string ones, a column that needs less
// than its share keeping its declared length and leaving the rest to the
// others. A key column that ends shorter than its source's values can be
// gets a warning in def.Warnings that names it and its size; a key that
// cannot fit at all is an error that says what to do.
func FitKey(def datasync.TableDef, limit int) (datasync.TableDef, error) {
	parts, err := keyParts(def)
	if err != nil {
		return def, err
	}
	budget := limit
	var strs []keyPart
	for _, k := range parts {
		budget -= k.fixed
		if k.unit > 0 {
			strs = append(strs, k)
		}
	}
	sort.SliceStable(strs, func(i, j int) bool { return need(strs[i]) < need(strs[j]) })
	cols := append([]datasync.ColumnDef(nil), def.Columns...)
	def.Columns = cols
	for i, k := range strs {
		share := int64(budget / (len(strs) - i))
		n := min(k.want, share/int64(k.unit))
		if n < 1 {
			return def, fmt.Errorf("primary key (%s) does not fit the target's %d-byte key limit: its fixed-width columns leave no room for %s; create the target table yourself, or key on fewer columns",
				strings.Join(def.Key, ", "), limit, cols[k.col].Name)
		}
		budget -= int(n) * k.unit
		if n < k.want {
			cols[k.col].Type = sizedType(k, n)
		}
		if n < k.bound {
			def.Warnings = append(def.Warnings, fmt.Sprintf("key column %s (source %s) is created as %s so that the primary key (%s) fits the target's %d-byte key limit: a longer value would be refused as a bad row; if values can be longer, create the target table yourself or key on a shorter expression in a query: source",
				cols[k.col].Name, cols[k.col].Source.Declared(), cols[k.col].Type, strings.Join(def.Key, ", "), limit))
		}
	}
	return def, nil
}

func need(k keyPart) int64 {
	if k.want == math.MaxInt64 {
		return k.want
	}
	return k.want * int64(k.unit)
}

func sizedType(k keyPart, n int64) string {
	if k.unit == 1 {
		return fmt.Sprintf("VARBINARY(%d)", n)
	}
	return fmt.Sprintf("VARCHAR(%d)", n)
}

// keyParts reads what each key column of def takes of the key limit.
func keyParts(def datasync.TableDef) ([]keyPart, error) {
	var out []keyPart
	for _, name := range def.Key {
		i := columnIndex(def.Columns, name)
		if i < 0 {
			return nil, fmt.Errorf("key column %s is not a column of the target table", name)
		}
		c := def.Columns[i]
		k, err := parseKeyType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("key column %s: %w", c.Name, err)
		}
		k.col = i
		if k.unit > 0 {
			k.bound = sourceBound(c, k)
		}
		out = append(out, k)
	}
	return out, nil
}

func columnIndex(cols []datasync.ColumnDef, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// sourceBound is the longest value the source column can hold, in the
// units of its target type: its declared length, the length of a MySQL
// source's own type (varchar(20)), or unknown where the type map capped an
// unsized type (PostgreSQL text, bytea, an enum) at the index's length.
func sourceBound(c datasync.ColumnDef, k keyPart) int64 {
	switch {
	case c.Source.Length > 0:
		return c.Source.Length
	case c.Source.Length < 0:
		return math.MaxInt64
	case k.char || strings.Contains(c.Source.Type, "("):
		return k.want
	}
	return math.MaxInt64
}

// parseKeyType reads the key length of a MySQL column type as the type
// maps and a MySQL source's catalog write it: int(10) unsigned,
// decimal(12,2), datetime(6), varchar(40), longtext.
func parseKeyType(typ string) (keyPart, error) {
	t := strings.ToLower(strings.TrimSpace(typ))
	name, args := t, ""
	if i := strings.IndexAny(t, "( "); i >= 0 {
		name = t[:i]
		if j := strings.Index(t, ")"); t[i] == '(' && j > i {
			args = t[i+1 : j]
		}
	}
	n, m := typeArgs(args)
	switch name {
	case "char", "varchar":
		return keyPart{unit: 4, want: max(n, 1), char: name == "char"}, nil
	case "binary", "varbinary":
		return keyPart{unit: 1, want: max(n, 1), char: name == "binary"}, nil
	case "tinytext", "text", "mediumtext", "longtext":
		return keyPart{unit: 4, want: math.MaxInt64}, nil
	case "tinyblob", "blob", "mediumblob", "longblob":
		return keyPart{unit: 1, want: math.MaxInt64}, nil
	case "decimal", "numeric":
		return keyPart{fixed: decimalBytes(n, m)}, nil
	case "time":
		return keyPart{fixed: 3 + int(n+1)/2}, nil
	case "datetime":
		return keyPart{fixed: 5 + int(n+1)/2}, nil
	case "timestamp":
		return keyPart{fixed: 4 + int(n+1)/2}, nil
	case "bit":
		return keyPart{fixed: int(max(n, 1)+7) / 8}, nil
	}
	if w, ok := fixedWidths[name]; ok {
		return keyPart{fixed: w}, nil
	}
	return keyPart{}, fmt.Errorf("type %s cannot be part of a primary key that target.create makes; convert it in a query: source", typ)
}

// fixedWidths are the key lengths of MySQL's fixed-width types; an ENUM
// takes 1 or 2 bytes and a SET up to 8, counted at their widest.
var fixedWidths = map[string]int{
	"tinyint": 1, "bool": 1, "boolean": 1, "year": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4,
	"bigint": 8, "float": 4, "double": 8, "real": 8, "date": 3, "enum": 2, "set": 8,
	"uuid": 16, "inet4": 4, "inet6": 16,
}

// typeArgs reads the numbers of a type's arguments: 12,2 of decimal(12,2).
func typeArgs(args string) (int64, int64) {
	a, b, _ := strings.Cut(args, ",")
	n, _ := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	m, _ := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	return n, m
}

// decimalBytes is the stored size of DECIMAL(p,s): 4 bytes per 9 digits on
// each side of the point, and fewer for the digits left over.
func decimalBytes(p, s int64) int {
	if p == 0 {
		p = 10
	}
	left := [10]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}
	whole, frac := p-s, s
	return int(whole/9*4+frac/9*4) + left[whole%9] + left[frac%9]
}
