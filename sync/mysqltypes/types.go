// Package mysqltypes holds the MySQL column types of the target, for the
// source dialects' type maps (datasync.TypeMapper): what a source column
// of a given width becomes in a utf8mb4 InnoDB table. It is apart from
// sync/mysqltarget so that no source dialect imports the target writer.
package mysqltypes

import "fmt"

// Character and binary columns longer than these are TEXT and BLOB types
// in the target, unless indexed: InnoDB limits a row's VARCHAR and
// VARBINARY columns to 65,535 bytes together, 4 per utf8mb4 character, so
// a wide ERP table of long VARCHARs could not be created at all.
const (
	maxInlineChars = 255
	maxInlineBytes = 255
	maxTextChars   = 16383 // TEXT holds 65,535 bytes: this many utf8mb4 characters
	maxBlobBytes   = 65535
)

// Text returns the MySQL type of a character column of n characters
// (-1 unbounded) for a utf8mb4 table: VARCHAR(n) when short or indexed,
// else TEXT, MEDIUMTEXT or LONGTEXT as n needs. Fixed-width char(n) gets
// VARCHAR(n) too: sources hand its values over blank-padded, and MySQL's
// CHAR would strip the padding when read back.
func Text(n int64, indexed bool) string {
	switch {
	case n > 0 && (n <= maxInlineChars || (indexed && n <= 768)):
		return fmt.Sprintf("VARCHAR(%d)", n)
	case indexed:
		// InnoDB indexes at most 3,072 bytes of a key: 768 utf8mb4 characters.
		return "VARCHAR(768)"
	case n > 0 && n <= maxTextChars:
		return "TEXT"
	case n > 0 && n <= 4194303:
		return "MEDIUMTEXT"
	}
	return "LONGTEXT"
}

// Binary is Text for byte strings.
func Binary(n int64, fixed, indexed bool) string {
	switch {
	case n > 0 && (n <= maxInlineBytes || (indexed && n <= 3072)):
		if fixed && n <= 255 {
			return fmt.Sprintf("BINARY(%d)", n)
		}
		return fmt.Sprintf("VARBINARY(%d)", n)
	case indexed:
		return "VARBINARY(3072)"
	case n > 0 && n <= maxBlobBytes:
		return "BLOB"
	}
	return "LONGBLOB"
}

// FractionDigits caps a time type's fractional-second digits at MySQL's 6.
func FractionDigits(scale int64) int64 { return min(max(scale, 0), 6) }
