package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/mysqltarget"
	"github.com/syncd/syncd/tables"
)

// Plan returns the target table target.create would make for t, built
// from the source's catalog with its key sized to the target's key limit,
// and the CREATE TABLE statement for it. It reads the source and the
// target's settings and changes nothing.
func Plan(ctx context.Context, p *Pools, t tables.Table) (datasync.TableDef, string, error) {
	src, err := OpenSource(ctx, p, t)
	if err != nil {
		return datasync.TableDef{}, "", err
	}
	info, err := src.Describe(ctx)
	if errors.Is(err, datasync.ErrNoCatalog) {
		return datasync.TableDef{}, "", declarationError{fmt.Errorf("%s: target.create cannot make the target table of a query: source, whose result has no catalog to take column types from; "+
			"create the target table %s yourself (primary key (%s), an index on %s), for example from what syncd plan prints for a declaration of the query's base table",
			t.Name, t.Target.Table, strings.Join(t.Source.Key, ", "), t.Source.Cursor)}
	}
	if err != nil {
		return datasync.TableDef{}, "", err
	}
	tm, ok := src.Dialect().(datasync.TypeMapper)
	if !ok {
		return datasync.TableDef{}, "", fmt.Errorf("%s: the %s dialect has no type map", t.Name, p.cfg.Connections[t.Source.Connection].Driver)
	}
	def, err := datasync.PlanTable(t, info, tm)
	if err != nil {
		return def, "", err
	}
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return def, "", err
	}
	limit, err := mysqltarget.KeyLimit(ctx, db)
	if err != nil {
		return def, "", fmt.Errorf("%s: %w", t.Name, err)
	}
	if def, err = mysqltarget.FitKey(def, limit); err != nil {
		return def, "", fmt.Errorf("%s: %w", t.Name, err)
	}
	return def, mysqltarget.CreateTableSQL(id, def), nil
}

// createTarget creates the target table of t when target.create is set and
// the table is missing; an existing table is left as it is.
func createTarget(ctx context.Context, p *Pools, t tables.Table) (bool, error) {
	if !t.Target.Create {
		return false, nil
	}
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return false, err
	}
	// The source's catalog is read only while the table is missing.
	if info, err := mysql.Describe(ctx, db, id); err != nil || len(info.Columns) > 0 {
		return false, err
	}
	def, _, err := Plan(ctx, p, t)
	if err != nil {
		return false, fmt.Errorf("plan target table of %s: %w", t.Name, err)
	}
	return mysqltarget.CreateTable(ctx, db, id, def)
}

// declarationError is an error of the declaration, which no retry fixes.
type declarationError struct{ error }

func (e declarationError) Is(target error) bool { return target == datasync.ErrDeclaration }
func (e declarationError) Unwrap() error        { return e.error }
