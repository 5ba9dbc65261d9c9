package postgres

import (
	"fmt"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysqltypes"
)

var _ datasync.TypeMapper = Dialect{}

// MySQLType implements datasync.TypeMapper for the types of
// information_schema.columns (columnsQuery): the MySQL type that holds
// what the converter (convert.go) gives, as docs/sqlserver.md tabulates
// it. Types pgx hands over as text (intervals, arrays, enums, network
// addresses...) become text columns holding that text.
func (Dialect) MySQLType(c datasync.ColumnInfo, indexed bool) (string, error) {
	switch c.Type {
	case "boolean":
		return "TINYINT(1)", nil // the converter gives 0 or 1
	case "smallint":
		return "SMALLINT", nil
	case "integer":
		return "INT", nil
	case "bigint":
		return "BIGINT", nil
	case "real":
		return "FLOAT", nil
	case "double precision":
		return "DOUBLE", nil
	case "numeric":
		if c.Precision == 0 {
			// An unconstrained numeric has no declared size; this is
			// MySQL's widest. A value beyond it is refused by the
			// target (a rejected row), never rounded.
			return "DECIMAL(65,30)", nil
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", c.Precision, c.Scale), nil
	case "date":
		return "DATE", nil
	case "timestamp without time zone", "timestamp with time zone":
		// timestamptz arrives as its instant in UTC.
		return fmt.Sprintf("DATETIME(%d)", mysqltypes.FractionDigits(c.Scale)), nil
	case "time without time zone":
		return fmt.Sprintf("TIME(%d)", mysqltypes.FractionDigits(c.Scale)), nil
	case "uuid":
		return "CHAR(36)", nil // canonical text, lower case
	case "character", "character varying":
		return mysqltypes.Text(c.Length, indexed), nil
	case "bytea":
		return mysqltypes.Binary(-1, false, indexed), nil
	case "json", "jsonb":
		if indexed {
			return "", fmt.Errorf("a %s column cannot be a key or cursor", c.Type)
		}
		return "JSON", nil
	}
	// text, xml and every type pgx hands over as its text form.
	return mysqltypes.Text(-1, indexed), nil
}
