package synctest

import "testing"

// SYNCD_TEST_MSSQL_DSN=none skips the SQL Server tests only where no
// server is required: under CI or SYNCD_TEST_REQUIRE_SERVERS it fails
// them, as an unset DSN does.
func TestMSSQLAdminNoneUnderRequire(t *testing.T) {
	for _, c := range []struct {
		env              map[string]string
		dsn              string
		missing, failing bool
	}{
		{map[string]string{"SYNCD_TEST_MSSQL_DSN": "none"}, "", true, false},
		{map[string]string{"SYNCD_TEST_MSSQL_DSN": "none", "CI": "true"}, "", true, true},
		{map[string]string{"SYNCD_TEST_MSSQL_DSN": "none", "SYNCD_TEST_REQUIRE_SERVERS": "1"}, "", true, true},
		{map[string]string{"CI": "true"}, "", true, true},
		{map[string]string{}, "", true, false},
		{map[string]string{"SYNCD_TEST_MSSQL_DSN": "sqlserver://x", "CI": "true"}, "sqlserver://x", false, false},
	} {
		dsn, missing, required := mssqlAdmin(func(k string) string { return c.env[k] })
		if dsn != c.dsn || (missing != "") != c.missing || (missing != "" && required) != c.failing {
			t.Errorf("%v: dsn %q, missing %q, required %v; want dsn %q, missing %v, failing %v", c.env, dsn, missing, required, c.dsn, c.missing, c.failing)
		}
	}
}
