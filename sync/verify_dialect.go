package datasync

// Optional parts of a Checksummer, for dialects whose servers hash or
// print some values their own way (SQL Server).

import "fmt"

// Encodings a Checksummer may hash text in.
const (
	EncodingUTF8    = "utf8"
	EncodingUTF16LE = "utf16le"
)

// HashEncoder is a Checksummer that says which bytes of a text its Hash32
// hashes: SQL Server's HASHBYTES hashes an NVARCHAR as UTF-16LE, and it
// has no UTF-8 form of it before SQL Server 2019. A Checksummer that is
// not a HashEncoder hashes UTF-8.
type HashEncoder interface {
	HashEncoding() string
}

// EncodingHasher is a Checksummer that can also hash the bytes of a text
// in another encoding, so that it agrees with a HashEncoder on the other
// side of a comparison.
type EncodingHasher interface {
	// Hash32In is Hash32 over the bytes of text in encoding.
	Hash32In(text, encoding string) string
}

// hashEncoding returns the encoding c hashes text in.
func hashEncoding(c Checksummer) string {
	if e, ok := c.(HashEncoder); ok {
		return e.HashEncoding()
	}
	return EncodingUTF8
}

// inEncoding is a Checksummer whose Hash32 hashes another encoding.
type inEncoding struct {
	Checksummer
	h   EncodingHasher
	enc string
}

func (c inEncoding) Hash32(text string) string { return c.h.Hash32In(text, c.enc) }

// matchEncoding returns tgt hashing text in the encoding src hashes it in.
func matchEncoding(src, tgt Checksummer) (Checksummer, error) {
	enc := hashEncoding(src)
	if enc == hashEncoding(tgt) {
		return tgt, nil
	}
	if enc != EncodingUTF8 && enc != EncodingUTF16LE {
		return nil, fmt.Errorf("the source hashes text as %q (allowed: %s, %s)", enc, EncodingUTF8, EncodingUTF16LE)
	}
	h, ok := tgt.(EncodingHasher)
	if !ok {
		return nil, fmt.Errorf("the source hashes text as %s and the target cannot", enc)
	}
	return inEncoding{Checksummer: tgt, h: h, enc: enc}, nil
}

// ColumnCanonicalizer is a Checksummer whose canonical text of a column
// depends on the column's own type, not only on its family: SQL Server's
// datetime holds 1/300 s, which its driver reads to the millisecond.
type ColumnCanonicalizer interface {
	CanonicalColumn(quoted string, c Column, f Family) string
}

// canonical is c's canonical text of col, of family f.
func canonical(c Checksummer, col column, f Family) string {
	if cc, ok := c.(ColumnCanonicalizer); ok {
		return cc.CanonicalColumn(col.quoted, col.Column, f)
	}
	return c.Canonical(col.quoted, f)
}
