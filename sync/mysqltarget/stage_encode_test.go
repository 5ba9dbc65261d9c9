package mysqltarget

import (
	"math"
	"strings"
	"testing"
	"time"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/tables"
)

func TestEncodeRows(t *testing.T) {
	at := time.Date(2026, 3, 1, 7, 8, 9, 120000000, time.UTC)
	rows := []datasync.Row{
		{int64(-1), uint64(math.MaxUint64), 0.1, nil, "a\tb\nc\rd\\e\x00f", `\N`, ""},
		{at, at.Truncate(time.Second), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Time{}, "plain", at.In(time.FixedZone("x", 3600)), 1e21},
	}
	want := "-1\t18446744073709551615\t0.1\t\\N\ta\\tb\\nc\\rd\\\\e\\0f\t\\\\N\t\n" +
		"2026-03-01 07:08:09.12\t2026-03-01 07:08:09\t0001-01-01 00:00:00.000000001\t0000-00-00\tplain\t2026-03-01 07:08:09.12\t1e+21\n"
	got, ok := encodeRows(rows)
	if !ok || string(got) != want {
		t.Fatalf("encodeRows:\n got %q (%v)\nwant %q", got, ok, want)
	}
}

// Values the stream cannot carry exactly send the page to the upsert.
func TestEncodeRowsRefuses(t *testing.T) {
	for _, v := range []any{[]byte("x"), "bad \xff utf-8", math.Inf(1), math.NaN(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), true} {
		if _, ok := encodeRows([]datasync.Row{{int64(1), v}}); ok {
			t.Errorf("encodeRows took %#v", v)
		}
	}
}

func TestMergeSQL(t *testing.T) {
	cols := []string{"`id`", "`k2`", "`name`"}
	got := mergeSQL("`db`.`t`", "`db`.`syncd_stage_t`", cols, []int{0, 1}, "", syntaxValues)
	want := "INSERT INTO `db`.`t` (`id`, `k2`, `name`) SELECT `id`, `k2`, `name` FROM `db`.`syncd_stage_t` ORDER BY `id`, `k2` " +
		"ON DUPLICATE KEY UPDATE `name` = IF((@syncd_found := @syncd_found + 1) > 0, VALUES(`name`), VALUES(`name`))"
	if got != want {
		t.Fatalf("MariaDB merge:\n got %s\nwant %s", got, want)
	}
	// A group's stage orders a key staged twice by its page.
	got = mergeSQL("`t`", "`syncd_group_t`", cols, []int{0}, "`syncd_page`", syntaxAlias)
	want = "INSERT INTO `t` (`id`, `k2`, `name`) SELECT * FROM (SELECT `id`, `k2`, `name` FROM `syncd_group_t` ORDER BY `id`, `syncd_page`) AS syncd_new " +
		"ON DUPLICATE KEY UPDATE `k2` = IF((@syncd_found := @syncd_found + 1) > 0, syncd_new.`k2`, syncd_new.`k2`), `name` = syncd_new.`name`"
	if got != want {
		t.Fatalf("MySQL 8 merge:\n got %s\nwant %s", got, want)
	}
	// Every column in the key: the no-op names the target, not the stage.
	got = mergeSQL("`db`.`t`", "`db`.`syncd_stage_t`", cols[:2], []int{0, 1}, "", syntaxValues)
	if want := " ON DUPLICATE KEY UPDATE `db`.`t`.`id` = IF((@syncd_found := @syncd_found + 1) > 0, `db`.`t`.`id`, `db`.`t`.`id`)"; !strings.HasSuffix(got, want) {
		t.Fatalf("key-only merge: %s, want it to end in %s", got, want)
	}
	if got := stageName(tables.Ident{Parts: []string{"db", "t"}}); got != "`db`.`syncd_stage_t`" {
		t.Fatalf("stage of db.t: %s", got)
	}
}
