package mssql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/synctest"
)

// TestClassify classifies errors by the numbers SQL Server documents for
// them, as go-mssqldb returns them, wrapped or not.
func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want datasync.ErrorClass
	}{
		{mssql.Error{Number: 18456, Message: "Login failed for user 'x'."}, datasync.ClassPermanent},
		{fmt.Errorf("read page: %w", mssql.Error{Number: 207, Message: "Invalid column name 'x'."}), datasync.ClassPermanent},
		{mssql.Error{Number: 208, Message: "Invalid object name 'x'."}, datasync.ClassPermanent},
		{mssql.Error{Number: 102, Message: "Incorrect syntax near '='."}, datasync.ClassPermanent},
		{mssql.Error{Number: 156, Message: "Incorrect syntax near the keyword 'WHERE'."}, datasync.ClassPermanent},
		{mssql.Error{Number: 229, Message: "The SELECT permission was denied on the object 'x'."}, datasync.ClassPermanent},
		{mssql.Error{Number: 4060, Message: "Cannot open database \"x\" requested by the login."}, datasync.ClassPermanent},
		{mssql.Error{Number: 1205, Message: "Transaction was deadlocked"}, datasync.ClassTransient},
		{mssql.Error{Number: 1222, Message: "Lock request time out period exceeded."}, datasync.ClassTransient},
		{mssql.Error{Number: 3621, All: []mssql.Error{{Number: 208}, {Number: 3621}}}, datasync.ClassPermanent},
		{errors.New("dial tcp 127.0.0.1:1433: connect: connection refused"), datasync.ClassUnknown},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// babelfishGeneric is the one error number Babelfish 4.2 returns for most
// errors (unknown column, syntax, lock timeout alike).
const babelfishGeneric = 33557097

// TestClassifyOnServer classifies the errors a real SQL Server returns.
// Babelfish returns most of them under one generic number, which cannot
// tell a syntax error from a lock timeout: those stay transient (retried),
// the safe side; on SQL Server each has its own number.
func TestClassifyOnServer(t *testing.T) {
	dsn, db := openServer(t)
	tbl := newTable(t, db, "id int PRIMARY KEY, v int")
	synctest.Exec(t, db, "INSERT INTO dbo."+tbl+" VALUES (1, 1), (2, 2)")
	query := func(q string) error {
		rows, err := db.Query(q)
		if err == nil {
			rows.Close()
			t.Fatalf("%s succeeded", q)
		}
		return err
	}
	cases := []struct {
		name    string
		want    datasync.ErrorClass
		produce func() error
	}{
		{"login", datasync.ClassPermanent, func() error {
			bad := "sqlserver://syncd_no_such_login:x@" + dsn[strings.LastIndex(dsn, "@")+1:]
			other, err := sql.Open("sqlserver", bad)
			if err != nil {
				return err
			}
			defer other.Close()
			return other.Ping()
		}},
		{"invalid column", datasync.ClassPermanent, func() error { return query("SELECT no_such FROM dbo." + tbl) }},
		{"invalid object", datasync.ClassPermanent, func() error { return query("SELECT id FROM no_such_table") }},
		{"syntax", datasync.ClassPermanent, func() error { return query("SELECT id FROM dbo." + tbl + " WHERE v = = 1") }},
		{"lock timeout", datasync.ClassTransient, func() error { return lockTimeout(t, db, tbl) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.produce()
			want := c.want
			var se mssql.Error
			if errors.As(err, &se) && se.Number == babelfishGeneric {
				want = datasync.ClassTransient
			}
			if got := Classify(err); got != want {
				t.Fatalf("Classify(%q (%T)) = %v, want %v", err, err, got, want)
			}
		})
	}
}

// lockTimeout holds a row's lock and returns the error of a second
// session that waits for it with a short LOCK_TIMEOUT.
func lockTimeout(t *testing.T, db *sql.DB, tbl string) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // the test's own lock
	if _, err := tx.Exec("UPDATE dbo." + tbl + " SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = c.ExecContext(ctx, "SET LOCK_TIMEOUT 200; UPDATE dbo."+tbl+" SET v = v + 1 WHERE id = 1")
	if err == nil {
		t.Fatal("the second update did not wait for the lock")
	}
	return err
}
