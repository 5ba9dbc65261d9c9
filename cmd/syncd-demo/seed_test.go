package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/syncd/syncd/sync/synctest"
)

// seed says which database it drops on which server, and what it holds,
// before it drops anything; then the demo's tables are there.
func TestSeedSaysWhatItDropsFirst(t *testing.T) {
	synctest.Postgres(t) // the server answers
	db := synctest.UniqueName("syncd_demo_t_")
	pgAdmin, myAdmin := synctest.PostgresDSN, synctest.MariaDBDSN
	pg, my := synctest.Open(t, "pgx", pgAdmin), synctest.Open(t, "mysql", myAdmin)
	t.Cleanup(func() {
		if _, err := pg.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s in PostgreSQL: %v", db, err)
		}
		if _, err := my.Exec("DROP DATABASE IF EXISTS " + db); err != nil {
			t.Errorf("drop %s in MariaDB: %v", db, err)
		}
	})
	synctest.Exec(t, pg, "CREATE DATABASE "+db)
	synctest.Exec(t, synctest.Open(t, "pgx", demoDSN(pgAdmin, db)), "CREATE TABLE someones (id int)")
	synctest.Exec(t, my, "CREATE DATABASE "+db, "CREATE TABLE "+db+".someones (id int)", "CREATE TABLE "+db+".others (id int)")

	var out bytes.Buffer
	if err := seed(context.Background(), &out, pgAdmin, strings.TrimSuffix(myAdmin, "/")+"/", db); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	want := "syncd-demo: dropping and recreating database " + db + " on PostgreSQL " + pgHost(pgAdmin) +
		" (exists, 1 tables, all dropped) and on MariaDB " + myHost(myAdmin) + " (exists, 2 tables, all dropped)"
	if first != want {
		t.Errorf("first line:\n%s\nwant\n%s", first, want)
	}
	var n int
	if err := my.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'wms_supplier'", db).Scan(&n); err != nil || n != 1 {
		t.Errorf("MariaDB %s has %d wms_supplier tables (%v), want the demo's", db, n, err)
	}
}
