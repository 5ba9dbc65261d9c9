package connect

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/rs/zerolog"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// runSnapshot starts a snapshot of tbl with parts and runs its parts in
// random order; it returns the snapshot and the rows each part read.
func runSnapshot(t *testing.T, p *Pools, tbl tables.Table) (datasync.Snapshot, []int64) {
	t.Helper()
	ctx := context.Background()
	job, err := Open(ctx, p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer job.Close()
	snap, started, err := job.StartSnapshot(ctx, datasync.Options{Logger: zerolog.Nop()})
	if err != nil || !started {
		t.Fatalf("start snapshot: %+v, %v, %v", snap, started, err)
	}
	read := make([]int64, snap.Parts)
	for _, i := range rand.Perm(snap.Parts) {
		rec, err := job.RunPart(ctx, datasync.PartOptions{Options: datasync.Options{Logger: zerolog.Nop()}, Generation: snap.Generation, Part: i})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		read[i] = rec.Read
	}
	return snap, read
}

// A composite key of text and integer splits in the source's own order:
// every part gets rows, the parts read each row once, and the target is
// equal.
func TestSnapshotCompositeTextKey(t *testing.T) {
	_, srcDSN := synctest.MariaDB(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "mysql", srcDSN)
	synctest.Exec(t, src, `CREATE TABLE order_lines (region VARCHAR(20) NOT NULL, n INT NOT NULL, qty INT NOT NULL, updated_at DATETIME(6) NOT NULL,
		PRIMARY KEY (region, n), KEY order_lines_sync (updated_at, region, n))`,
		`INSERT INTO order_lines SELECT ELT(1 + seq % 5, 'north', 'South', 'ëast', 'west', 'Ω'), seq, seq % 7, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_3000`)
	p := pools(t, tables.DriverMySQL, srcDSN, myDSN)
	tbl := createdTable("order_lines", "order_lines", "region", "updated_at")
	tbl.Source.Key = []string{"region", "n"}
	tbl.BatchSize, tbl.Snapshot.Parts = 97, 5
	snap, read := runSnapshot(t, p, tbl)
	var sum int64
	for i, n := range read {
		if n < 300 {
			t.Errorf("part %d read %d rows; want about 600", i+1, n)
		}
		sum += n
	}
	if sum != 3000 || snap.Parts != 5 {
		t.Errorf("%d parts read %d rows; want 5 parts, 3000 rows", snap.Parts, sum)
	}
	if rep, err := Verify(context.Background(), p, tbl, 8); err != nil || !rep.Equal || rep.Pending != 0 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}

// On SQL Server (Babelfish in CI) a table keyed by a uniqueidentifier
// splits in the server's GUID order and loads equal, and one keyed by a
// bigint too.
func TestSnapshotSQLServer(t *testing.T) {
	for _, key := range []string{"g", "id"} {
		t.Run(key, func(t *testing.T) {
			p, tbl, _, _ := verifySQLServer(t, key)
			tbl.BatchSize, tbl.Snapshot.Parts = 700, 4
			_, read := runSnapshot(t, p, tbl)
			var sum int64
			for i, n := range read {
				if n < 1500 {
					t.Errorf("part %d read %d rows; want about 2500", i+1, n)
				}
				sum += n
			}
			if sum != 10000 {
				t.Errorf("the parts read %d rows; want 10000", sum)
			}
			if _, err := runOnce(t, p, tbl); err != nil {
				t.Fatal(err)
			}
			if rep, err := Verify(context.Background(), p, tbl, 8); err != nil || !rep.Equal || rep.Pending != 0 {
				t.Fatalf("verify: %+v, %v", rep, err)
			}
		})
	}
}
