package state

import (
	datasync "github.com/syncd/syncd/sync"
)

// runCountsSchema (part of version 9) keeps the counts of the run that
// wrote the table's newest page on the table's state row, moved by the
// statement that moves the position: they commit with the pages they
// count. A run killed before it records its end is closed with them.
var runCountsSchema = []string{
	`ALTER TABLE syncd_state
		ADD COLUMN run_version BIGINT NULL COMMENT 'fencing version of the run the run_ counts are of',
		ADD COLUMN run_pages BIGINT NOT NULL DEFAULT 0 COMMENT 'pages that run committed',
		ADD COLUMN run_read BIGINT NOT NULL DEFAULT 0,
		ADD COLUMN run_inserted BIGINT NOT NULL DEFAULT 0,
		ADD COLUMN run_updated BIGINT NOT NULL DEFAULT 0,
		ADD COLUMN run_unchanged BIGINT NOT NULL DEFAULT 0,
		ADD COLUMN run_rejected BIGINT NOT NULL DEFAULT 0,
		ADD COLUMN run_deleted BIGINT NOT NULL DEFAULT 0`,
}

// Added is what one page transaction adds to its run's counts: the pages
// it commits (more than one when a transaction holds several), the rows
// they read, and what the write did with them.
type Added struct {
	Pages, Read int64
	datasync.WriteStats
}

// PageAdded returns what a page adds: rows written (the rejected among
// them) and gone, the rows source.deleted_when marks deleted.
func PageAdded(rows, gone int, ws datasync.WriteStats) Added {
	return Added{Pages: 1, Read: int64(rows + gone), WriteStats: ws}
}

// addCounts is the part of MoveState's UPDATE that adds a page's counts
// to its run's: counts of an older run start again from zero. Its
// arguments are addArgs'. run_version is assigned last: MySQL and
// MariaDB assign left to right, so the IFs read the old one (and with
// MariaDB's SIMULTANEOUS_ASSIGNMENT they do anyway).
const addCounts = "run_pages = IF(run_version <=> ?, run_pages, 0) + ?, " +
	"run_read = IF(run_version <=> ?, run_read, 0) + ?, " +
	"run_inserted = IF(run_version <=> ?, run_inserted, 0) + ?, " +
	"run_updated = IF(run_version <=> ?, run_updated, 0) + ?, " +
	"run_unchanged = IF(run_version <=> ?, run_unchanged, 0) + ?, " +
	"run_rejected = IF(run_version <=> ?, run_rejected, 0) + ?, " +
	"run_deleted = IF(run_version <=> ?, run_deleted, 0) + ?, " +
	"run_version = ?"

func addArgs(version int64, a Added) []any {
	out := []any{}
	for _, n := range []int64{a.Pages, a.Read, a.Inserted, a.Updated, a.Unchanged, a.Rejected, a.Deleted} {
		out = append(out, version, n)
	}
	return append(out, version)
}

// closeAbandoned is the statement that closes the runs of table still
// marked running whose version is older than the state's (their process
// died, or lost the target): failed, with the counts of the pages they
// committed when the state still holds them.
const closeAbandoned = "UPDATE syncd_runs r JOIN syncd_state s ON s.table_name = r.table_name SET " +
	"r.status = ?, r.ended_at = ?, r.error = ?, " +
	"r.pages = IF(s.run_version = r.version, s.run_pages, r.pages), " +
	"r.rows_read = IF(s.run_version = r.version, s.run_read, r.rows_read), " +
	"r.rows_inserted = IF(s.run_version = r.version, s.run_inserted, r.rows_inserted), " +
	"r.rows_updated = IF(s.run_version = r.version, s.run_updated, r.rows_updated), " +
	"r.rows_unchanged = IF(s.run_version = r.version, s.run_unchanged, r.rows_unchanged), " +
	"r.rows_rejected = IF(s.run_version = r.version, s.run_rejected, r.rows_rejected), " +
	"r.rows_deleted = IF(s.run_version = r.version, s.run_deleted, r.rows_deleted) " +
	"WHERE r.table_name = ? AND r.status = ? AND r.version < s.version"
