package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
)

const stockTable = `name: stock
source: {connection: src, table: dbo.stock, key: [id], cursor: rv}
target: {table: stock, create: true}
batch_size: 4
`

const filesTable = `name: files
source: {connection: src, table: dbo.files, key: [id], cursor: modified}
target: {table: files, create: true}
batch_size: 4
settle: 0s
`

// syncd check --connect, plan, sync and verify, through the commands, on
// a SQL Server table with a rowversion cursor and one with varbinary,
// binary and uniqueidentifier columns (a GUID key among them), first load
// and incremental run; verify sees a row removed from the target.
func TestSQLServerCommandsEndToEnd(t *testing.T) {
	msDSN := synctest.SQLServer(t)
	_, myDSN := synctest.MariaDB(t)
	src := synctest.Open(t, "sqlserver", msDSN)
	synctest.Exec(t, src, "CREATE TABLE dbo.stock (id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, note NVARCHAR(20) NULL, rv ROWVERSION)",
		"CREATE INDEX ix_stock_sync ON dbo.stock (rv, id)",
		"INSERT INTO dbo.stock (id, qty, note) VALUES (1, 10, N'供应商'), (2, 20, NULL), (3, 30, N'😀'), (4, 40, N'a'), (5, 50, N'b')",
		"INSERT INTO dbo.stock (id, qty) VALUES (6, 60)", "INSERT INTO dbo.stock (id, qty) VALUES (7, 70)",
		`CREATE TABLE dbo.files (id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY DEFAULT NEWID(), body VARBINARY(MAX) NULL,
			digest BINARY(16) NULL, owner UNIQUEIDENTIFIER NULL, modified DATETIME2(6) NOT NULL)`,
		"CREATE INDEX ix_files_sync ON dbo.files (modified, id)",
		`INSERT INTO dbo.files (body, digest, owner, modified) VALUES
			(0x00FF10, HASHBYTES('MD5', 'a'), '6F9619FF-8B86-D011-B42D-00C04FC964FF', DATEADD(hour, -1, SYSDATETIME())),
			(NULL, NULL, NULL, DATEADD(hour, -1, SYSDATETIME())),
			(CAST(REPLICATE(CAST('x' AS VARCHAR(MAX)), 70000) AS VARBINARY(MAX)), 0x00000000000000000000000000000001, NEWID(), DATEADD(hour, -1, SYSDATETIME())),
			(0x, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF, NEWID(), DATEADD(hour, -1, SYSDATETIME())),
			(0x01, NULL, NEWID(), DATEADD(hour, -1, SYSDATETIME())),
			(0x02, NULL, NEWID(), DATEADD(hour, -1, SYSDATETIME()))`)
	tgt := synctest.Open(t, "mysql", myDSN)
	cfg := writeConfig(t, "connections:\n  src: {driver: sqlserver, dsn: '"+msDSN+"'}\n  tgt: {driver: mysql, dsn: '"+myDSN+"'}\ntarget: tgt\n",
		map[string]string{"stock.yaml": stockTable, "files.yaml": filesTable})

	if out, code := runCLI("-c", cfg, "check", "--connect"); code != 0 || !strings.Contains(out, "ok: 2 tables") {
		t.Fatalf("check --connect: exit %d\n%s", code, out)
	}
	if out, code := runCLI("-c", cfg, "plan", "stock"); code != 0 || !strings.Contains(out, "`rv` BIGINT UNSIGNED NOT NULL") {
		t.Fatalf("plan: exit %d, want rv as BIGINT UNSIGNED\n%s", code, out)
	}
	syncAndVerify(t, cfg, 7, 6)
	synctest.Exec(t, src, "UPDATE dbo.stock SET qty = qty + 1 WHERE id IN (2, 6)", "INSERT INTO dbo.stock (id, qty) VALUES (8, 80)",
		"UPDATE dbo.files SET body = 0x0A0B, modified = DATEADD(minute, -30, SYSDATETIME()) WHERE body = 0x01",
		"INSERT INTO dbo.files (body, owner, modified) VALUES (0x03, NEWID(), DATEADD(minute, -30, SYSDATETIME()))")
	syncAndVerify(t, cfg, 8, 7)
	var qty int
	must(t, tgt.QueryRow("SELECT qty FROM stock WHERE id = 6").Scan(&qty))
	if qty != 61 {
		t.Fatalf("stock 6 has qty %d after the incremental run, want 61", qty)
	}
	synctest.Exec(t, tgt, "DELETE FROM files WHERE body = 0x0A0B")
	if out, code := runCLI("-c", cfg, "verify", "files"); code != exitFailed || !strings.Contains(out, "1 missing") {
		t.Fatalf("verify with a row deleted from the target: exit %d, want %d and 1 missing\n%s", code, exitFailed, out)
	}
}

// syncAndVerify syncs both tables and verifies them equal, with stock and
// files rows on each side.
func syncAndVerify(t *testing.T, cfg string, stock, files int) {
	t.Helper()
	if out, code := runCLI("-c", cfg, "sync", "stock", "files"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	for name, n := range map[string]int{"stock": stock, "files": files} {
		equal, counts := name+": equal:", fmt.Sprintf("source %d rows, target %d rows; 0 missing, 0 extra, 0 different, 0 duplicate, 0 pending", n, n)
		if out, code := runCLI("-c", cfg, "verify", name); code != 0 || !strings.Contains(out, equal) || !strings.Contains(out, counts) {
			t.Fatalf("verify %s: exit %d, want %q and %q\n%s", name, code, equal, counts, out)
		}
	}
}
