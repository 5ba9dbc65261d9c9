// Package queue puts syncd on Asynq: the sync:table task and its payload,
// the handler that runs the engine for one task, the periodic task config
// provider built from the table declarations, manual enqueue, following
// and cancelling a run, the status reader and the run log's pruner. What
// an operator does to a table (pause, rewind, resume...) is queue/ops's.
// It knows tables and the engine; the engine knows nothing of it.
//
// At most one sync of a table is queued or running: every task of a table
// carries the same task id in the table's queue. That is a property of
// the queue only; what keeps the data right when Asynq runs one task
// twice at once (a lease that expired, a handler past its timeout) is the
// fencing version the engine keeps in the state store (sync/state).
package queue
