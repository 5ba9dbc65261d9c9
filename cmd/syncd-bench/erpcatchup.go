package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// erpCatchUps changes a different tenth of each source before each run
// and times syncd's catch-up beside the limit of the same write: the
// changed rows loaded into a temporary table and merged into a copy of
// the loaded target by one INSERT ... SELECT ... ON DUPLICATE KEY UPDATE
// in key order.
func (b *bench) erpCatchUps(ctx context.Context) error {
	e := &b.erp
	for _, s := range e.srcs {
		e.catchUp[s.key] = &measure{name: "syncd incremental catch-up, " + s.name, note: "10% of rows changed, out of key order"}
		e.merge[s.key] = &measure{name: "limit: changed rows LOAD DATA into a temporary table, one INSERT ... SELECT ... ON DUPLICATE KEY UPDATE in key order"}
	}
	for i := 1; i <= b.o.runs; i++ {
		for _, s := range e.srcs {
			log.Printf("erp run %d/%d: %s catch-up and one-statement merge", i, b.o.runs, s.name)
			if err := b.erpCatchUp(ctx, s, i%10); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) erpCatchUp(ctx context.Context, s *erpSource, slot int) error {
	changed, err := s.touchTenth(ctx, slot)
	if err != nil {
		return err
	}
	tsv := filepath.Join(b.tmp, "erp-changed-"+s.key+".tsv")
	if err := s.export(ctx, tsv, "WHERE id % 10 = "+s.param, slot); err != nil {
		return err
	}
	defer os.Remove(tsv) //nolint:errcheck // a temporary file; the directory goes at the end anyway
	m, target := b.erp.catchUp[s.key], "erp_"+s.key
	m.rows = changed
	var c childRun
	err = b.timed(m, func() (err error) {
		c, err = runSyncdTable(ctx, b.o.syncd, b.erpConfig, target)
		return err
	})
	if err != nil {
		return err
	}
	m.own = append(m.own, c.cpu)
	if c.read != changed || c.updated != changed {
		return fmt.Errorf("syncd catch-up of %s read %d and updated %d rows, want %d", target, c.read, c.updated, changed)
	}
	if err := s.sameERP(ctx, b.my, target); err != nil {
		return err
	}
	lim := b.erp.merge[s.key]
	lim.rows = changed
	return b.timed(lim, func() error { return b.mergeLimit(ctx, tsv, "erp_limit_"+s.key, changed) })
}

// mergeLimit writes the changed rows of path into table through a
// temporary table of the same definition, on one connection.
func (b *bench) mergeLimit(ctx context.Context, path, table string, changed int64) error {
	conn, err := b.my.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const tmp = "erp_changed"
	if _, err := conn.ExecContext(ctx, "CREATE TEMPORARY TABLE "+tmp+" LIKE "+table); err != nil {
		return fmt.Errorf("merge limit: %w", err)
	}
	defer conn.ExecContext(context.Background(), "DROP TEMPORARY TABLE "+tmp) //nolint:errcheck // the connection goes back to the pool either way
	got, err := loadInto(ctx, conn, path, tmp)
	if err != nil {
		return err
	}
	if got != changed {
		return fmt.Errorf("merge limit: LOAD DATA wrote %d rows, want %d", got, changed)
	}
	var sets []string
	for _, c := range erpColumns[1:] {
		sets = append(sets, c+" = VALUES("+c+")")
	}
	cols := strings.Join(erpColumns, ", ")
	res, err := conn.ExecContext(ctx, "INSERT INTO "+table+" ("+cols+") SELECT "+cols+" FROM "+tmp+
		" ORDER BY id ON DUPLICATE KEY UPDATE "+strings.Join(sets, ", "))
	if err != nil {
		return fmt.Errorf("merge limit: %w", err)
	}
	// Two affected rows for each row updated.
	if n, err := res.RowsAffected(); err != nil || n != 2*changed {
		return fmt.Errorf("merge limit: %d rows affected, want %d (2 per updated row): %v", n, 2*changed, err)
	}
	return nil
}

// writeERPConfig writes the ERP stage's syncd.yaml and one declaration per
// source (erp_pg, erp_tsql when msDSN is set); extra (-erp-settings)
// adds comma-separated settings to each declaration.
func writeERPConfig(dir, pgDSN, msDSN, myDSN string, batch int, create bool, extra string) (string, error) {
	conns := fmt.Sprintf("connections:\n  src:\n    driver: postgres\n    dsn: %q\n", pgDSN)
	decls := map[string]string{"erp_pg": "src\n  table: public.erp_lines"}
	if msDSN != "" {
		conns += fmt.Sprintf("  tsql:\n    driver: sqlserver\n    dsn: %q\n", msDSN)
		decls["erp_tsql"] = "tsql\n  table: dbo.erp_lines"
	}
	cfg := syncdYAML(conns, myDSN, batch)
	if err := os.MkdirAll(filepath.Join(dir, "tables"), 0o755); err != nil {
		return "", err
	}
	for name, src := range decls {
		decl := fmt.Sprintf("name: %s\nsource:\n  connection: %s\n  key: [id]\n  cursor: updated_at\ntarget:\n  table: %s\n  create: %t\n%s", name, src, name, create, extraSettings(extra))
		if err := os.WriteFile(filepath.Join(dir, "tables", name+".yaml"), []byte(decl), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "syncd.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

// extraSettings turns "a: 1, b: 2" into lines of a declaration.
func extraSettings(extra string) string {
	var sb strings.Builder
	for _, kv := range strings.Split(extra, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			sb.WriteString(kv + "\n")
		}
	}
	return sb.String()
}
