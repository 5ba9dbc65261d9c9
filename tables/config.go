package tables

import "time"

// Config is syncd.yaml: the named connections, where the table declarations
// live, the defaults every declaration inherits, and the process settings.
type Config struct {
	Connections map[string]Connection `koanf:"connections"`
	// Target is the connection a declaration writes to when it names none.
	Target    string   `koanf:"target"`
	TablesDir string   `koanf:"tables_dir"`
	Defaults  Defaults `koanf:"defaults"`
	Log       Log      `koanf:"log"`
	Redis     Redis    `koanf:"redis"`
	Worker    Worker   `koanf:"worker"`
	HTTP      HTTP     `koanf:"http"`

	// File is the path the config was loaded from. Not read from YAML.
	File string `koanf:"-"`
}

// Connection is one named database. DSN is secret: print it only through
// RedactDSN.
type Connection struct {
	Driver string `koanf:"driver"`
	DSN    string `koanf:"dsn"`
	// DSNFile, when set, names a file holding the DSN (a mounted secret),
	// so no password sits in YAML. LoadConfig resolves it against the
	// config file's directory and reads it into DSN.
	DSNFile string `koanf:"dsn_file"`

	// SQL Server only: settings merged into the DSN when the pool is
	// opened (a value here wins over the DSN's own). Kept out of the DSN
	// so that a DSN from a secret store needs no editing for them.
	//
	// Encrypt is the TLS mode: "strict" (TDS 8), "true", "false" (only the
	// login is encrypted) or "disable".
	Encrypt string `koanf:"encrypt"`
	// TrustServerCertificate skips the check of the server's certificate;
	// for test servers with a self-signed one only.
	TrustServerCertificate bool `koanf:"trust_server_certificate"`
	// ApplicationIntent "ReadOnly" routes the sessions to a readable
	// secondary of an availability group; "ReadWrite" is the driver's
	// default.
	ApplicationIntent string `koanf:"application_intent"`
	// AppName is the program name the sessions show in SQL Server
	// (sys.dm_exec_sessions.program_name); syncd when empty.
	AppName string `koanf:"app_name"`
}

// Values of Connection.Encrypt and Connection.ApplicationIntent.
var (
	EncryptModes       = []string{"strict", "true", "false", "disable"}
	ApplicationIntents = []string{"ReadOnly", "ReadWrite"}
)

// HasSQLServerOptions reports whether any SQL Server-only setting is set.
func (c Connection) HasSQLServerOptions() bool {
	return c.Encrypt != "" || c.TrustServerCertificate || c.ApplicationIntent != "" || c.AppName != ""
}

// Drivers a connection may name. A target must be DriverMySQL (MariaDB is
// reached with the same driver).
const (
	DriverSQLServer = "sqlserver"
	DriverMySQL     = "mysql"
	DriverPostgres  = "postgres"
)

// Defaults are the values a declaration takes for the fields it leaves out.
type Defaults struct {
	Schedule  string        `koanf:"schedule"`
	BatchSize int           `koanf:"batch_size"`
	Settle    time.Duration `koanf:"settle"`
	Overlap   time.Duration `koanf:"overlap"`
	OnBadRows string        `koanf:"on_bad_rows"`
	Timeout   time.Duration `koanf:"timeout"`
	Queue     string        `koanf:"queue"`
	// MergePages: see Table.MergePages.
	MergePages int `koanf:"merge_pages"`
	// PageTimeout: see Table.PageTimeout.
	PageTimeout time.Duration `koanf:"page_timeout"`
	Runs        Runs          `koanf:"runs"`
}

// Log chooses the log level and format ("json", "console", or "auto":
// console on a terminal, JSON otherwise).
type Log struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"`
}
