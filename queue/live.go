package queue

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/syncd/syncd/tables"
)

// activePage is how many active tasks one look at a queue reads.
const activePage = 500

// Running returns the progress of the syncs of ts running now, by table
// name: a few looks at each queue's active tasks, however many tables
// there are. A sync that has not reported a page yet has a zero Progress.
func (e *Enqueuer) Running(ts []tables.Table) (map[string]Progress, error) {
	want := map[string]map[string]bool{} // queue: table names
	for _, t := range ts {
		q := queueOf(t)
		if want[q] == nil {
			want[q] = map[string]bool{}
		}
		want[q][t.Name] = true
	}
	out := map[string]Progress{}
	for q, names := range want {
		if err := e.running(q, names, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// running adds the active syncs of queue q whose table is in names.
func (e *Enqueuer) running(q string, names map[string]bool, out map[string]Progress) error {
	for page := 1; ; page++ {
		infos, err := e.inspector.ListActiveTasks(q, asynq.PageSize(activePage), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list the running syncs of queue %s: %w", q, err)
		}
		for _, info := range infos {
			p, err := ParsePayload(info.Payload)
			if info.Type != TypeSyncTable || err != nil || !names[p.Table] {
				continue
			}
			var pr Progress
			if len(info.Result) > 0 {
				_ = json.Unmarshal(info.Result, &pr) // a result we cannot read is no progress yet
			}
			out[p.Table] = pr
		}
		if len(infos) < activePage {
			return nil
		}
	}
}
