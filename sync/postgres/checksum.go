package postgres

import (
	"strings"

	datasync "github.com/syncd/syncd/sync"
)

// Canonical implements datasync.Checksummer: each family as the text the
// other dialects render it as.
func (Dialect) Canonical(c string, f datasync.Family) string {
	switch f {
	case datasync.FamilyDecimal:
		return "((" + c + ")::numeric(38,10))::text"
	case datasync.FamilyFloat:
		return "((" + c + ")::numeric(38,6))::text"
	case datasync.FamilyTime:
		return "to_char(" + c + ", 'YYYY-MM-DD HH24:MI:SS.US')"
	case datasync.FamilyDate:
		return "to_char(" + c + ", 'YYYY-MM-DD')"
	case datasync.FamilyBool:
		return "((" + c + ")::int)::text"
	case datasync.FamilyBytes:
		return "encode(" + c + ", 'hex')"
	}
	return "(" + c + ")::text"
}

// Concat implements datasync.Checksummer.
func (Dialect) Concat(parts []string) string { return "(" + strings.Join(parts, " || ") + ")" }

// Hash32 implements datasync.Checksummer: the first 8 hex digits of the
// MD5 as an unsigned 32-bit number.
func (Dialect) Hash32(text string) string {
	return "(('x' || substr(md5(" + text + "), 1, 8))::bit(32)::bigint)"
}
