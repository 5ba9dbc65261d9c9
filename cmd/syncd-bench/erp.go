package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	mssql "github.com/microsoft/go-mssqldb"
)

// The ERP stage's table (issue 21): a sales order line as an ERP keeps it,
// fifteen columns of the types such a table has, the same table in both
// sources. Its rows are about 300 bytes in MariaDB, twice the narrow
// table's.
var erpColumns = []string{"id", "doc_no", "line_no", "customer_code", "item_code", "description",
	"qty", "unit_price", "amount", "currency", "status", "approved", "warehouse", "created_at", "updated_at"}

const erpPostgresDDL = `CREATE TABLE erp_lines (
	id            bigint PRIMARY KEY,
	doc_no        varchar(20) NOT NULL,
	line_no       integer NOT NULL,
	customer_code varchar(12) NOT NULL,
	item_code     varchar(24) NOT NULL,
	description   varchar(200) NOT NULL,
	qty           numeric(18,4) NOT NULL,
	unit_price    numeric(19,4) NOT NULL,
	amount        numeric(19,2) NOT NULL,
	currency      varchar(3) NOT NULL,
	status        smallint NOT NULL,
	approved      boolean NOT NULL,
	warehouse     varchar(10) NOT NULL,
	created_at    timestamp(6) NOT NULL,
	updated_at    timestamp(6) NOT NULL
)`

// erpTSQLDDL is the same table in T-SQL types: nvarchar, decimal, bit,
// datetime2 (Babelfish stores datetime2 to the microsecond).
const erpTSQLDDL = `CREATE TABLE dbo.erp_lines (
	id            bigint NOT NULL PRIMARY KEY,
	doc_no        nvarchar(20) NOT NULL,
	line_no       int NOT NULL,
	customer_code nvarchar(12) NOT NULL,
	item_code     nvarchar(24) NOT NULL,
	description   nvarchar(200) NOT NULL,
	qty           decimal(18,4) NOT NULL,
	unit_price    decimal(19,4) NOT NULL,
	amount        decimal(19,2) NOT NULL,
	currency      nvarchar(3) NOT NULL,
	status        smallint NOT NULL,
	approved      bit NOT NULL,
	warehouse     nvarchar(10) NOT NULL,
	created_at    datetime2(6) NOT NULL,
	updated_at    datetime2(6) NOT NULL
)`

// erpLine is one generated row; decimals are held as integers of their
// column's scale, so both sources get the same exact value.
type erpLine struct {
	id                                 int64
	doc, customer, item, text, cur, wh string
	line, status                       int32
	qty4, price4, amount2              int64
	approved                           bool
	created, updated                   time.Time
}

// erpWords make the 60-200 character descriptions; a few carry accents
// and CJK, as product texts do (no 4-byte character: Babelfish's bulk
// load refuses a UTF-16 surrogate pair in nvarchar).
var erpWords = strings.Fields(`steel bracket zinc plated M8 hex bolt washer nylon pallet carton
	export packing customer drawing rev-B tolerance ±0.05 surface anodised Müller Gebäude
	délai livraison 供应商 urgent partial delivery warehouse transfer quality inspection passed`)

var (
	erpCurrencies = []string{"EUR", "USD", "CNY", "GBP"}
	erpWarehouses = []string{"WH-NORTH", "WH-SOUTH", "WH-EAST", "DC-01", "DC-02"}
)

func erpRow(rng *rand.Rand, base time.Time, id int64, later int) erpLine {
	created := base.Add(time.Duration(id) * 7 * time.Second).Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
	updated := created
	if rng.IntN(100) < later {
		updated = created.Add(time.Duration(rng.Int64N(int64(90*24*time.Hour))) / time.Microsecond * time.Microsecond)
	}
	want := 61 + rng.IntN(140) // one more for the space trimmed off the end
	var text strings.Builder
	for utf8.RuneCountInString(text.String()) < want {
		text.WriteString(erpWords[rng.IntN(len(erpWords))])
		text.WriteByte(' ')
	}
	desc := []rune(strings.TrimSpace(text.String()))
	if len(desc) > 200 {
		desc = desc[:200]
	}
	qty4 := int64(1+rng.IntN(5000)) * 2500 // quarter units
	price4 := rng.Int64N(100_000_000)
	return erpLine{
		id: id, doc: fmt.Sprintf("SO%010d", id/8+1), line: int32(id%8 + 1),
		customer: fmt.Sprintf("C%06d", rng.IntN(50_000)), item: fmt.Sprintf("ITM-%05d-%c", rng.IntN(90_000), 'A'+rng.IntN(26)),
		text: strings.TrimSpace(string(desc)), qty4: qty4, price4: price4, amount2: qty4 * price4 / 1_000_000,
		cur: erpCurrencies[rng.IntN(len(erpCurrencies))], status: int32(rng.IntN(6)), approved: rng.IntN(3) > 0,
		wh: erpWarehouses[rng.IntN(len(erpWarehouses))], created: created, updated: updated,
	}
}

func decimalText(units int64, scale int) string {
	return new(big.Rat).SetFrac64(units, pow10(scale)).FloatString(scale)
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

func (l erpLine) postgresValues() []any {
	num := func(units int64, scale int32) pgtype.Numeric {
		return pgtype.Numeric{Int: big.NewInt(units), Exp: -scale, Valid: true}
	}
	return []any{l.id, l.doc, l.line, l.customer, l.item, l.text, num(l.qty4, 4), num(l.price4, 4), num(l.amount2, 2),
		l.cur, int16(l.status), l.approved, l.wh, l.created, l.updated}
}

func (l erpLine) tsqlValues() []any {
	return []any{l.id, l.doc, l.line, l.customer, l.item, l.text, decimalText(l.qty4, 4), decimalText(l.price4, 4),
		decimalText(l.amount2, 2), l.cur, int64(l.status), l.approved, l.wh, l.created, l.updated}
}

// erpRows calls emit with the n generated rows in key order.
func erpRows(n, later int, emit func(erpLine) error) error {
	rng := rand.New(rand.NewPCG(21, uint64(n)))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for id := int64(1); id <= int64(n); id++ {
		if err := emit(erpRow(rng, base, id, later)); err != nil {
			return err
		}
	}
	return nil
}

// generateERPPostgres replaces the PostgreSQL erp_lines with n rows (COPY).
func generateERPPostgres(ctx context.Context, pgDSN string, n, later int) error {
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return fmt.Errorf("connect to source: %w", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP TABLE IF EXISTS erp_lines", erpPostgresDDL} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("create erp_lines: %w", err)
		}
	}
	rows := make(chan []any, 1024)
	errc := make(chan error, 1)
	go func() {
		defer close(rows)
		errc <- erpRows(n, later, func(l erpLine) error { rows <- l.postgresValues(); return nil })
	}()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if r, ok := <-rows; ok {
			return r, nil
		}
		return nil, <-errc
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"erp_lines"}, erpColumns, src); err != nil {
		return fmt.Errorf("copy %d rows into erp_lines: %w", n, err)
	}
	for _, q := range []string{"CREATE INDEX erp_lines_updated ON erp_lines (updated_at, id)", "VACUUM ANALYZE erp_lines"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// generateERPTSQL replaces the T-SQL erp_lines with the same n rows, by
// the TDS bulk load into a staging table whose decimals are text (Babelfish
// misreads a bulk-loaded decimal), moved over with CASTs in one statement.
func generateERPTSQL(ctx context.Context, db *sql.DB, n, later int) error {
	staging := strings.NewReplacer("dbo.erp_lines", "dbo.erp_staging", "decimal(18,4)", "varchar(40)",
		"decimal(19,4)", "varchar(40)", "decimal(19,2)", "varchar(40)", " PRIMARY KEY", "").Replace(erpTSQLDDL)
	for _, q := range []string{"DROP TABLE IF EXISTS dbo.erp_lines", "DROP TABLE IF EXISTS dbo.erp_staging", erpTSQLDDL, staging} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("t-sql: create erp_lines: %w", err)
		}
	}
	// Bulk loads of 50,000 rows each keep every one short.
	var bulk *bulkLoad
	err := erpRows(n, later, func(l erpLine) error {
		if bulk == nil {
			var err error
			if bulk, err = startBulk(ctx, db); err != nil {
				return err
			}
		}
		if err := bulk.add(ctx, l.tsqlValues()); err != nil || bulk.rows < 50_000 {
			return err
		}
		err := bulk.finish(ctx)
		bulk = nil
		return err
	})
	if err == nil && bulk != nil {
		err = bulk.finish(ctx)
	} else if bulk != nil {
		bulk.abort()
	}
	if err != nil {
		return fmt.Errorf("t-sql: bulk copy into erp_staging: %w", err)
	}
	cols := strings.Join(erpColumns, ", ")
	moved := strings.NewReplacer("qty,", "CAST(qty AS decimal(18,4)),", "unit_price,", "CAST(unit_price AS decimal(19,4)),",
		"amount,", "CAST(amount AS decimal(19,2)),").Replace(cols)
	for _, q := range []string{"INSERT INTO dbo.erp_lines (" + cols + ") SELECT " + moved + " FROM dbo.erp_staging",
		"DROP TABLE dbo.erp_staging", "CREATE INDEX erp_lines_updated ON dbo.erp_lines (updated_at, id)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("t-sql: %s: %w", q, err)
		}
	}
	return nil
}

// bulkLoad is one TDS bulk copy into erp_staging, in a transaction.
type bulkLoad struct {
	tx   *sql.Tx
	stmt *sql.Stmt
	rows int
}

func startBulk(ctx context.Context, db *sql.DB) (*bulkLoad, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	stmt, err := tx.PrepareContext(ctx, mssql.CopyIn("dbo.erp_staging", mssql.BulkOptions{}, erpColumns...))
	if err != nil {
		tx.Rollback() //nolint:errcheck // the prepare's error is the one to report
		return nil, err
	}
	return &bulkLoad{tx: tx, stmt: stmt}, nil
}

func (b *bulkLoad) add(ctx context.Context, vals []any) error {
	b.rows++
	_, err := b.stmt.ExecContext(ctx, vals...)
	return err
}

// finish sends the rows (an Exec with no values ends the copy) and commits.
func (b *bulkLoad) finish(ctx context.Context) error {
	if _, err := b.stmt.ExecContext(ctx); err != nil {
		b.abort()
		return err
	}
	if err := b.stmt.Close(); err != nil {
		b.tx.Rollback() //nolint:errcheck // the close's error is the one to report
		return err
	}
	return b.tx.Commit()
}

func (b *bulkLoad) abort() {
	b.stmt.Close()
	b.tx.Rollback() //nolint:errcheck // already failing
}
