package connect

import (
	"testing"

	"github.com/syncd/syncd/sync/synctest"
	"github.com/syncd/syncd/tables"
)

// A table created from a SQL Server catalog, a column of every type of the
// type map, holds every value the source has (SYNCD_TEST_MSSQL_DSN).
// Values are chosen within what MySQL stores exactly: the 7th fractional
// digit of time(7) and datetime2(7) is rounded (docs/sqlserver.md).
func TestCreateRoundTripSQLServer(t *testing.T) {
	srcDSN := synctest.SQLServer(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "sqlserver", srcDSN)
	synctest.Exec(t, src, `CREATE TABLE dbo.items (
		id INT NOT NULL PRIMARY KEY, guid UNIQUEIDENTIFIER NULL, code NVARCHAR(40) NOT NULL, name NVARCHAR(MAX) NULL,
		addr NVARCHAR(2000) NULL, ascii VARCHAR(30) NULL, legacy TEXT NULL, note NTEXT NULL, status CHAR(1) NULL,
		country NCHAR(4) NULL, credit DECIMAL(23,10) NULL, rate NUMERIC(5,2) NULL, balance MONEY NULL, fee SMALLMONEY NULL,
		forbid BIT NULL, lvl TINYINT NULL, seq SMALLINT NULL, org BIGINT NULL, weight FLOAT NULL, ratio REAL NULL,
		founded DATE NULL, opens TIME(7) NULL, created DATETIME NULL, modified DATETIME2(7) NOT NULL,
		approved SMALLDATETIME NULL, synced DATETIMEOFFSET(3) NULL, logo VARBINARY(MAX) NULL, hash BINARY(4) NULL,
		thumb VARBINARY(4000) NULL, photo IMAGE NULL, doc XML NULL, rv ROWVERSION)`,
		`INSERT INTO dbo.items (id, guid, code, name, addr, ascii, legacy, note, status, country, credit, rate, balance, fee,
			forbid, lvl, seq, org, weight, ratio, founded, opens, created, modified, approved, synced, logo, hash, thumb, photo, doc)
		VALUES (1, '6F9619FF-8B86-D011-B42D-00C04FC964FF', N'S-1', N'甲 𝄞😀', N'München', 'abc', 'old text', N'日本語', 'C',
			N'DE', -1234567890123.0123456789, 999.99, 922337203685477.5807, -214748.3648,
			1, 255, -32768, 9223372036854775807, 2.5e300, 0.1, '1900-01-01', '23:59:59.9999990', '2020-01-02 03:04:05.997',
			'2020-01-02 03:04:05.1234560', '2020-01-02 03:04:00', '2020-01-02 03:04:05.123 +05:30', 0x00FF10, 0xDEADBEEF,
			0x01, 0x02, N'<a b="1">x</a>'),
		(2, NULL, N'S-2', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			NULL, NULL, NULL, '2020-01-03 00:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE INDEX ix_items_sync ON dbo.items (modified, id)`)
	p := pools(t, tables.DriverSQLServer, srcDSN, myDSN)
	tbl := createdTable("items", "dbo.items", "id", "modified")
	tbl.Settle = 0
	rec, err := runOnce(t, p, tbl)
	if err != nil || rec.Inserted != 2 {
		t.Fatalf("run: %+v, %v; want 2 rows inserted", rec, err)
	}
	s, tgt := readBack(t, p, tbl)
	srcSource, err := OpenSource(t.Context(), p, tbl)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, srcSource.Columns(), s, tgt)
}

// A SQL Server key (region nvarchar(800), id int): the type map's 768
// characters for region and the int would take 3,076 bytes.
func TestCreateCompositeTextKeySQLServer(t *testing.T) {
	srcDSN := synctest.SQLServer(t)
	_, myDSN := synctest.MariaDB(t)
	synctest.Exec(t, synctest.Open(t, "sqlserver", srcDSN),
		`CREATE TABLE dbo.items (region NVARCHAR(800) NOT NULL, id INT NOT NULL, modified DATETIME2(7) NOT NULL,
			CONSTRAINT pk_items PRIMARY KEY NONCLUSTERED (region, id))`,
		`CREATE INDEX ix_items_sync ON dbo.items (modified, region, id)`,
		`INSERT INTO dbo.items VALUES (N'north', 1, '2026-01-01'), (N'süd 😀', 1, '2026-01-02')`)
	p := pools(t, tables.DriverSQLServer, srcDSN, myDSN)
	createsCompositeKey(t, p, keyedTable("items", "dbo.items", "modified", "region", "id"), "region", "VARCHAR(767)")
}
