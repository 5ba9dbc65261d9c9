package mysqltarget

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/tables"
)

// Charset and collation of the tables target.create makes. utf8mb4 keeps
// 4-byte characters; the binary collation compares keys byte by byte, so
// two source keys that differ only in case or accents never merge into
// one target row, whatever the source's collation.
const tableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

// CreateTableSQL returns the CREATE TABLE of def as table id: its
// columns, the primary key, and an index on the cursor column.
func CreateTableSQL(id tables.Ident, def datasync.TableDef) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + id.Backticked() + " (\n")
	for _, c := range def.Columns {
		b.WriteString("  " + columnSQL(c) + ",\n")
	}
	b.WriteString("  PRIMARY KEY (" + quoteColumns(def.Key) + ")")
	if def.Cursor != "" && !(len(def.Key) > 0 && strings.EqualFold(def.Key[0], def.Cursor)) {
		b.WriteString(",\n  KEY `syncd_cursor` (" + quoteColumn(def.Cursor) + ")")
	}
	b.WriteString("\n) " + tableOptions)
	return b.String()
}

func columnSQL(c datasync.ColumnDef) string {
	null := " NOT NULL"
	if c.Nullable {
		null = " NULL"
	}
	return quoteColumn(c.Name) + " " + c.Type + null
}

func quoteColumns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteColumn(c)
	}
	return strings.Join(q, ", ")
}

// AddColumnsSQL returns the ALTER TABLE that adds cols to table id. Added
// columns are NULL whatever the source says: the rows already in the
// target have no value for them until the source changes them.
func AddColumnsSQL(id tables.Ident, cols []datasync.ColumnDef) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		c.Nullable = true
		parts[i] = "ADD COLUMN " + columnSQL(c)
	}
	return "ALTER TABLE " + id.Backticked() + " " + strings.Join(parts, ", ")
}

// CreateTable creates table id as def says unless it exists, and reports
// whether it did. An existing table is left as it is, whatever its
// columns.
func CreateTable(ctx context.Context, db *sql.DB, id tables.Ident, def datasync.TableDef) (bool, error) {
	info, err := mysql.Describe(ctx, db, id)
	if err != nil {
		return false, err
	}
	if len(info.Columns) > 0 {
		return false, nil
	}
	// IF NOT EXISTS: another worker may create it between the two statements.
	q := strings.Replace(CreateTableSQL(id, def), "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return false, fmt.Errorf("create target table %s: %w", id, err)
	}
	return true, nil
}
