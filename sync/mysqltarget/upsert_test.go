package mysqltarget

import (
	"strings"
	"testing"
)

func TestSyntaxFor(t *testing.T) {
	cases := map[string]upsertSyntax{
		"10.11.19-MariaDB-0+deb12u1": syntaxValues,
		"11.4.2-MariaDB":             syntaxValues,
		"5.7.44-log":                 syntaxValues,
		"8.0.18":                     syntaxValues,
		"8.0.19":                     syntaxAlias,
		"8.0.36-0ubuntu0.22.04.1":    syntaxAlias,
		"8.4.3":                      syntaxAlias,
		"9.1.0":                      syntaxAlias,
		"garbage":                    syntaxValues,
	}
	for v, want := range cases {
		if got := syntaxFor(v); got != want {
			t.Errorf("syntaxFor(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestUpsertSQL(t *testing.T) {
	cols := []string{"`id`", "`order`", "`供应商名称`"}
	got := upsertSQL("`db`.`t`", cols, []int{0}, 2, syntaxValues)
	want := "INSERT INTO `db`.`t` (`id`, `order`, `供应商名称`) VALUES (?, ?, ?), (?, ?, ?) " +
		"ON DUPLICATE KEY UPDATE `order` = VALUES(`order`), `供应商名称` = VALUES(`供应商名称`)"
	if got != want {
		t.Fatalf("MariaDB upsert:\n got %s\nwant %s", got, want)
	}
	got = upsertSQL("`t`", cols, []int{0}, 1, syntaxAlias)
	want = "INSERT INTO `t` (`id`, `order`, `供应商名称`) VALUES (?, ?, ?) AS syncd_new " +
		"ON DUPLICATE KEY UPDATE `order` = syncd_new.`order`, `供应商名称` = syncd_new.`供应商名称`"
	if got != want {
		t.Fatalf("MySQL 8 upsert:\n got %s\nwant %s", got, want)
	}
	// Every column in the key: still a valid statement that changes nothing.
	got = upsertSQL("`t`", cols[:2], []int{0, 1}, 1, syntaxValues)
	if !strings.HasSuffix(got, "ON DUPLICATE KEY UPDATE `t`.`id` = `t`.`id`") {
		t.Fatalf("key-only upsert: %s", got)
	}
}

func TestCountSQL(t *testing.T) {
	if got, want := countSQL("`t`", []string{"`id`"}, 3), "SELECT COUNT(*) FROM `t` WHERE `id` IN (?, ?, ?)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got, want := countSQL("`t`", []string{"`a`", "`b`"}, 2), "SELECT COUNT(*) FROM `t` WHERE (`a`, `b`) IN ((?, ?), (?, ?))"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestSplitStats(t *testing.T) {
	cases := []struct{ n, d, affected, ins, upd, unch int64 }{
		{10, 0, 10, 10, 0, 0},  // all new
		{10, 10, 20, 0, 10, 0}, // all changed
		{10, 10, 0, 0, 0, 10},  // all unchanged
		{10, 4, 6 + 2*3, 6, 3, 1},
	}
	for _, c := range cases {
		ins, upd, unch := splitStats(c.n, c.d, c.affected)
		if ins != c.ins || upd != c.upd || unch != c.unch {
			t.Errorf("splitStats(%d, %d, %d) = %d, %d, %d; want %d, %d, %d", c.n, c.d, c.affected, ins, upd, unch, c.ins, c.upd, c.unch)
		}
	}
}

// TestChunksRespectLimits: no chunk exceeds 65,535 markers or half the
// packet, and together they hold every row once, in order.
func TestChunksRespectLimits(t *testing.T) {
	rows := make([][]any, 30000)
	for i := range rows {
		rows[i] = []any{int64(i), strings.Repeat("x", 100), nil}
	}
	for _, packet := range []int{1 << 30, 1 << 20, 4096} {
		cs := chunks(rows, 3, packet)
		total := 0
		for _, c := range cs {
			if len(c)*3 > maxPlaceholders {
				t.Fatalf("packet %d: chunk of %d rows has %d markers", packet, len(c), len(c)*3)
			}
			size := 0
			for _, r := range c {
				size += rowSize(r)
			}
			if len(c) > 1 && size > packet/2 {
				t.Fatalf("packet %d: chunk of %d bytes", packet, size)
			}
			if c[0][0].(int64) != int64(total) {
				t.Fatalf("chunk starts at row %v, want %d", c[0][0], total)
			}
			total += len(c)
		}
		if total != len(rows) {
			t.Fatalf("packet %d: chunks hold %d rows, want %d", packet, total, len(rows))
		}
	}
	if n := len(chunks(rows, 3, 1<<30)[0]); n != maxPlaceholders/3 {
		t.Fatalf("first chunk has %d rows, want the placeholder limit %d", n, maxPlaceholders/3)
	}
}
