// Package datasync is the engine of syncd: one run of one table. It reads
// the source rows changed since the table's stored position in keyset pages
// and hands each page to the target, which upserts the rows and moves the
// position in the same transaction.
//
// The package shadows the standard library's sync; import it as datasync.
// It knows nothing of Asynq: the queue calls Run.
package datasync
