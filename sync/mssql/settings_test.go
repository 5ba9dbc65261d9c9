package mssql

import (
	"testing"

	"github.com/microsoft/go-mssqldb/msdsn"
)

// Settings go into every DSN form so that the driver's own parser reads
// them back exactly, however awkward the values, without disturbing the
// DSN's other keys, and win over the DSN's own.
func TestWithSettings(t *testing.T) {
	s := Settings{Encrypt: "true", TrustServerCertificate: true, ApplicationIntent: "ReadOnly", AppName: `wms "reader"; a=b {x}}`}
	for _, dsn := range []string{
		"sqlserver://sa:p%40ss%3Bw@db:1433?database=erp&encrypt=false&APPLICATIONINTENT=ReadWrite",
		"server=db;user id=sa;password=\"p@ss;w\";database=erp;encrypt=false;Application Name=other",
		"server=db;user id=sa;password=\"p@ss;w\";database=erp;",
		"odbc:server=db;user id=sa;password={p@ss;w};database=erp;encrypt=false",
	} {
		got := WithSettings(dsn, s)
		cfg, err := connectorConfig(got)
		if err != nil {
			t.Fatalf("%s -> %s: %v", dsn, got, err)
		}
		if cfg.AppName != s.AppName || cfg.Encryption != msdsn.EncryptionRequired || !cfg.TrustServerCertificate || !cfg.ReadOnlyIntent {
			t.Errorf("%s -> %s: app %q, encryption %v, trust %v, read-only %v", dsn, got, cfg.AppName, cfg.Encryption, cfg.TrustServerCertificate, cfg.ReadOnlyIntent)
		}
		if cfg.Password != "p@ss;w" || cfg.Database != "erp" || cfg.User != "sa" || cfg.Host != "db" {
			t.Errorf("%s -> %s: user %q password %q database %q host %q disturbed", dsn, got, cfg.User, cfg.Password, cfg.Database, cfg.Host)
		}
	}
}

func TestWithoutSettings(t *testing.T) {
	const dsn = "sqlserver://sa:pw@db?database=erp"
	if got := WithSettings(dsn, Settings{}); got != dsn {
		t.Errorf("no settings changed the DSN to %s", got)
	}
	cfg, err := connectorConfig(WithSettings(dsn, Settings{Encrypt: "disable"}))
	if err != nil || cfg.Encryption != msdsn.EncryptionDisabled || cfg.AppName != AppName {
		t.Errorf("encrypt=disable: %+v, %v", cfg.Encryption, err)
	}
}
