package main

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/postgres"
	"github.com/syncd/syncd/tables"
)

// columns are the benchmark table's columns, the same names on both sides.
var columns = []string{"id", "customer_id", "qty", "status", "price", "amount", "note", "created_at", "updated_at"}

const sourceDDL = `CREATE TABLE items (
	id          bigint PRIMARY KEY,
	customer_id integer NOT NULL,
	qty         integer NOT NULL,
	status      smallint NOT NULL,
	price       numeric(12,2) NOT NULL,
	amount      numeric(14,4) NOT NULL,
	note        varchar(80) NOT NULL,
	created_at  timestamp(6) NOT NULL,
	updated_at  timestamp(6) NOT NULL
)`

// words make the ~60-character notes; a fixed vocabulary keeps generation
// cheap and the data deterministic.
var words = strings.Fields(`pallet carton invoice supplier delivery partial return urgent
	checked damaged north south east west dock gate shelf bin order line batch lot
	frozen ambient fragile heavy light express standard reorder picked packed`)

// generate replaces the source table with n rows, written with COPY. Keys
// run 1..n; created_at rises with the key; later percent of the rows were
// updated after creation, up to 90 days later, so (updated_at, id) order is
// not key order, as in a live ERP table (with 0, it is).
func generate(ctx context.Context, pgDSN string, n, later int) error {
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return fmt.Errorf("connect to source: %w", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP TABLE IF EXISTS items", sourceDDL} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("create source table: %w", err)
		}
	}
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	rows := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return itemRow(rng, base, int64(i), later), nil
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, columns, rows); err != nil {
		return fmt.Errorf("copy %d rows into the source: %w", n, err)
	}
	for _, q := range []string{"CREATE INDEX items_updated ON items (updated_at, id)", "VACUUM ANALYZE items"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func itemRow(rng *rand.Rand, base time.Time, id int64, later int) []any {
	created := base.Add(time.Duration(id) * 7 * time.Second).Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
	updated := created
	if rng.IntN(100) < later {
		updated = created.Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
	}
	var note strings.Builder
	for note.Len() < 56 {
		note.WriteString(words[rng.IntN(len(words))])
		note.WriteByte(' ')
	}
	cents := rng.Int64N(1_000_000)
	return []any{
		id, int32(rng.IntN(50_000)), int32(rng.IntN(1000)), int16(rng.IntN(6)),
		pgtype.Numeric{Int: big.NewInt(cents), Exp: -2, Valid: true},
		pgtype.Numeric{Int: big.NewInt(cents * int64(1+rng.IntN(50))), Exp: -4, Valid: true},
		strings.TrimSpace(note.String()), created, updated,
	}
}

// exportTSV writes the source rows in the given order to a file in the
// text format both COPY and LOAD DATA speak (tab-separated, \N for NULL,
// backslash escapes), for the LOAD DATA limit.
func exportTSV(ctx context.Context, pgDSN, path, order string) error {
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return fmt.Errorf("connect to source: %w", err)
	}
	defer conn.Close(ctx)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	q := "COPY (SELECT " + strings.Join(columns, ", ") + " FROM items ORDER BY " + order + ") TO STDOUT"
	if _, err := conn.PgConn().CopyTo(ctx, f, q); err != nil {
		f.Close()
		return fmt.Errorf("export source rows: %w", err)
	}
	return f.Close()
}

// benchTable is the declaration syncd runs, also used to read the source
// alone through the engine's own reader.
func benchTable(batch int) tables.Table {
	return tables.Table{
		Name:      "bench_items",
		Source:    tables.Source{Connection: "src", Table: "public.items", Key: []string{"id"}, Cursor: "updated_at"},
		Target:    tables.Target{Connection: "dst", Table: "items"},
		BatchSize: batch,
		Settle:    time.Second,
	}
}

// readAll pages through the whole source with syncd's keyset reader and
// discards the rows: the source side's limit.
func readAll(ctx context.Context, pgDSN string, batch int) (int64, error) {
	t := benchTable(batch)
	src, err := postgres.OpenSource(ctx, pgDSN, t)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	m, err := datasync.NewMapping(t, src.Columns())
	if err != nil {
		return 0, err
	}
	hi, err := src.UpperBound(ctx, t.Settle)
	if err != nil {
		return 0, err
	}
	var pos datasync.Position
	var n int64
	for {
		rows, err := src.ReadPage(ctx, pos, hi, batch)
		if err != nil {
			return n, err
		}
		n += int64(len(rows))
		if len(rows) < batch {
			return n, nil
		}
		pos = m.PositionOf(rows[len(rows)-1])
	}
}

// touchTenth changes every tenth row (id % 10 = slot) in the source and
// moves its updated_at to just behind the source's clock, as a day of
// edits would, for the incremental catch-up.
func touchTenth(ctx context.Context, pgDSN string, slot int) (int64, error) {
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return 0, fmt.Errorf("connect to source: %w", err)
	}
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, `UPDATE items SET qty = qty + 1, amount = amount + 1.5,
		updated_at = CAST(clock_timestamp() AS timestamp) - interval '5 seconds' WHERE id % 10 = $1`, slot)
	if err != nil {
		return 0, fmt.Errorf("update a tenth of the source: %w", err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE items"); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
