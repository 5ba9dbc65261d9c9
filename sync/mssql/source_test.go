package mssql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"
	datasync "github.com/syncd/syncd/sync"
)

func TestConnectorConfig(t *testing.T) {
	tests := []struct {
		dsn     string
		appName string
	}{
		{"server=db;user id=sa;password=s3cret;database=erp", AppName},
		{"server=db;user id=sa;password=s3cret;app name=erp-reader", "erp-reader"},
		{"server=db;user id=sa;password=s3cret;Application Name=erp-reader", "erp-reader"},
		{"sqlserver://sa:s3cret@db:1433?database=erp", AppName},
		{"sqlserver://sa:s3cret@db:1433?database=erp&app+name=erp-reader", "erp-reader"},
		{"sqlserver://sa:s3cret@db?guid+conversion=true", AppName},
		{"server=db;user id=sa;password=s3cret;guid conversion=true", AppName},
	}
	for _, tc := range tests {
		cfg, err := connectorConfig(tc.dsn)
		if err != nil {
			t.Fatalf("%s: %v", tc.dsn, err)
		}
		if cfg.AppName != tc.appName {
			t.Errorf("%s: app name %q, want %q", tc.dsn, cfg.AppName, tc.appName)
		}
		if cfg.Encoding.GuidConversion {
			t.Errorf("%s: guid conversion left on", tc.dsn)
		}
	}
}

// The DSN key the driver reads is "app name" (msdsn/conn_str.go).
func TestAppNameKey(t *testing.T) {
	if msdsn.AppName != "app name" {
		t.Fatalf("msdsn.AppName = %q", msdsn.AppName)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	_, err := OpenDB("server=db;user id=sa;password=s3cret;port=notaport")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "password=***") {
		t.Errorf("parse error %v: want one that shows the DSN without its password", err)
	}
	// Nothing listens on port 1: the ping fails, and its error must not
	// carry the password either.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = OpenSource(ctx, "sqlserver://sa:s3cret@127.0.0.1:1?dial+timeout=2&connection+timeout=5&disableretry=true", supplier("FSUPPLIERID"))
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "supplier") {
		t.Errorf("ping error %v: want one without the password that names the table", err)
	}
}

// Without a BINARY column there is no rowversion to find, and no query.
func TestMarkRowversionsSkipsWithoutBinary(t *testing.T) {
	cols := []datasync.Column{{Name: "a", DatabaseType: "VARBINARY"}, {Name: "b", DatabaseType: "DATETIME"}}
	got, err := Dialect{}.RefineColumns(context.Background(), nil, "[t]", cols)
	if err != nil || len(got) != 2 || got[0].DatabaseType != "VARBINARY" {
		t.Errorf("got %v, %v", got, err)
	}
}

// A BINARY column the catalog calls timestamp becomes ROWVERSION; others
// stay BINARY.
func TestMarkRowversions(t *testing.T) {
	cols := []datasync.Column{{Name: "RV", DatabaseType: "BINARY"}, {Name: "hash", DatabaseType: "BINARY"}, {Name: "b", DatabaseType: "INT"}}
	got := markRowversions(cols, map[string]bool{"rv": true})
	if got[0].DatabaseType != "ROWVERSION" || got[1].DatabaseType != "BINARY" || got[2].DatabaseType != "INT" || cols[0].DatabaseType != "BINARY" {
		t.Errorf("got %v (input %v)", got, cols)
	}
}

func TestSchemaChanged(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{mssql.Error{Number: 207, Message: "Invalid column name 'qty'."}, true},
		{fmt.Errorf("read page: %w", mssql.Error{Number: 207}), true},
		{&mssql.Error{Number: 207}, true},
		{mssql.Error{Number: 1205, Message: "Transaction was deadlocked"}, false},
		{errors.New("Invalid column name 'qty'. (not from the server)"), false},
	}
	for _, tc := range tests {
		if got := (Dialect{}).SchemaChanged(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}
