package queue_test

import (
	"fmt"
	"sync"

	"github.com/syncd/syncd/sync/synctest"
)

// holdAt is the row a held run stops at: page 50 of pages of 20 rows, so
// that 49 pages are committed and the run is known to be mid-way, however
// fast or slow the machine.
const holdAt = 1000

// holdRow puts row id of target table name in place and locks it in a
// transaction of the test's own: a run that reaches the page holding id
// waits there, its pages before committed, until release (which may be
// called more than once) ends the transaction. The run's own write then
// goes on (and takes the row's source values).
func (f *fixture) holdRow(name string, id int) (release func()) {
	f.t.Helper()
	synctest.Exec(f.t, f.tgt, fmt.Sprintf("INSERT INTO %s (id, name, qty, updated_at) VALUES (%d, 'held', 0, '2000-01-01')", name, id))
	tx, err := f.tgt.Begin()
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := tx.Exec(fmt.Sprintf("SELECT id FROM %s WHERE id = %d FOR UPDATE", name, id)); err != nil {
		f.t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := tx.Rollback(); err != nil {
				f.t.Errorf("release the lock on %s %d: %v", name, id, err)
			}
		})
	}
	f.t.Cleanup(release)
	return release
}

// heldPages waits until the run of name has committed every page before
// the held row's: it is then writing that page, or waiting to.
func (f *fixture) heldPages(name string, batch int) {
	f.t.Helper()
	want := int64(holdAt/batch - 1)
	eventually(f.t, "the run held at the locked row", func() (bool, string) {
		n := f.pages(name)
		if n > want {
			f.t.Fatalf("%d pages committed past the held row", n)
		}
		return n == want, fmt.Sprintf("%d of %d pages", n, want)
	})
}
