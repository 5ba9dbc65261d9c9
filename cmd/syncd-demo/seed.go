package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// sourceTables are the ERP-like demo tables in PostgreSQL.
var sourceTables = []string{
	`CREATE TABLE suppliers (
		supplier_id  bigint PRIMARY KEY,
		name         varchar(100) NOT NULL,
		city         varchar(60),
		status       char(1) NOT NULL DEFAULT 'C',
		credit_limit numeric(18,2),
		modified_at  timestamp(6) NOT NULL DEFAULT localtimestamp)`,
	`CREATE INDEX suppliers_sync ON suppliers (modified_at, supplier_id)`,
	`CREATE TABLE materials (
		material_id  integer PRIMARY KEY,
		code         varchar(20) NOT NULL,
		description  varchar(200),
		unit         varchar(8) NOT NULL,
		price        numeric(18,4) NOT NULL,
		active       boolean NOT NULL DEFAULT true,
		modified_at  timestamp(6) NOT NULL DEFAULT localtimestamp)`,
	`CREATE INDEX materials_sync ON materials (modified_at, material_id)`,
	`CREATE TABLE orders (
		order_id     bigint PRIMARY KEY,
		supplier_id  bigint NOT NULL,
		modified_at  timestamp(6) NOT NULL DEFAULT localtimestamp)`,
	`CREATE TABLE order_lines (
		order_id     bigint NOT NULL,
		line_no      integer NOT NULL,
		material_id  integer NOT NULL,
		qty          numeric(18,3) NOT NULL,
		amount       numeric(18,2) NOT NULL,
		modified_at  timestamp(6) NOT NULL DEFAULT localtimestamp,
		PRIMARY KEY (order_id, line_no))`,
	`INSERT INTO suppliers (supplier_id, name, city, credit_limit, modified_at)
		SELECT i, '供应商 ' || i, (ARRAY['Shanghai','Hamburg','São Paulo','Osaka'])[1 + i % 4], i * 1000.5,
		       localtimestamp - interval '1 hour' + i * interval '1 ms' FROM generate_series(1, 200) i`,
	`INSERT INTO materials (material_id, code, description, unit, price, active, modified_at)
		SELECT i, 'M-' || lpad(i::text, 6, '0'), 'Material ' || i, (ARRAY['pcs','kg','m'])[1 + i % 3],
		       round((i * 3.1415)::numeric, 4), i % 10 <> 0, localtimestamp - interval '1 hour' FROM generate_series(1, 500) i`,
	`INSERT INTO orders (order_id, supplier_id, modified_at)
		SELECT i, 1 + i % 200, localtimestamp - interval '1 hour' FROM generate_series(1, 1000) i`,
	`INSERT INTO order_lines (order_id, line_no, material_id, qty, amount, modified_at)
		SELECT o, l, 1 + (o * l) % 500, l * 1.5, o * l * 2.25, localtimestamp - interval '1 hour'
		FROM generate_series(1, 1000) o, generate_series(1, 3) l`,
}

// targetTables are the tables syncd writes in MariaDB.
var targetTables = []string{
	`CREATE TABLE wms_supplier (
		supplier_id   BIGINT NOT NULL PRIMARY KEY,
		supplier_name VARCHAR(100) NOT NULL,
		city          VARCHAR(60) NULL,
		status        CHAR(1) NOT NULL,
		credit_limit  DECIMAL(18,2) NULL,
		last_time     DATETIME(6) NOT NULL)`,
	`CREATE TABLE wms_material (
		material_id INT NOT NULL PRIMARY KEY,
		code        VARCHAR(20) NOT NULL,
		description VARCHAR(200) NULL,
		unit        VARCHAR(8) NOT NULL,
		price       DECIMAL(18,4) NOT NULL,
		active      TINYINT(1) NOT NULL,
		modified_at DATETIME(6) NOT NULL)`,
	`CREATE TABLE wms_order_line (
		order_id    BIGINT NOT NULL,
		line_no     INT NOT NULL,
		supplier_id BIGINT NOT NULL,
		material_id INT NOT NULL,
		qty         DECIMAL(18,3) NOT NULL,
		amount      DECIMAL(18,2) NOT NULL,
		modified_at DATETIME(6) NOT NULL,
		PRIMARY KEY (order_id, line_no))`,
}

// seed (re)creates the demo database db on both servers, fresh each
// time. It first says on out what it drops: whatever db held on either
// server is lost.
func seed(ctx context.Context, out io.Writer, pgAdmin, myAdmin, db string) error {
	pg, err := open(ctx, "pgx", pgAdmin)
	if err != nil {
		return err
	}
	defer pg.Close()
	my, err := open(ctx, "mysql", myAdmin+"?multiStatements=false")
	if err != nil {
		return err
	}
	defer my.Close()
	if err := announceDrop(ctx, out, pg, my, pgAdmin, myAdmin, db); err != nil {
		return err
	}
	if err := execAll(ctx, pg, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)", "CREATE DATABASE "+db); err != nil {
		return err
	}
	src, err := open(ctx, "pgx", demoDSN(pgAdmin, db))
	if err != nil {
		return err
	}
	defer src.Close()
	if err := execAll(ctx, src, sourceTables...); err != nil {
		return fmt.Errorf("seed source: %w", err)
	}
	stmts := []string{"DROP DATABASE IF EXISTS " + db, "CREATE DATABASE " + db + " CHARACTER SET utf8mb4", "USE " + db}
	my.SetMaxOpenConns(1) // USE holds for the one connection
	if err := execAll(ctx, my, append(stmts, targetTables...)...); err != nil {
		return fmt.Errorf("seed target: %w", err)
	}
	fmt.Fprintln(out, "syncd-demo: seeded PostgreSQL", db, "(suppliers, materials, orders, order_lines) and MariaDB", db)
	return nil
}

// demoDSN points a postgres:// URL at the demo database db.
func demoDSN(admin, db string) string {
	q := ""
	if i := strings.IndexByte(admin, '?'); i >= 0 {
		admin, q = admin[:i], admin[i:]
	}
	return admin[:strings.LastIndexByte(admin, '/')+1] + db + q
}
