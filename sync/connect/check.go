package connect

import (
	"context"
	"errors"
	"strings"

	datasync "github.com/syncd/syncd/sync"
	"github.com/syncd/syncd/sync/mysql"
	"github.com/syncd/syncd/sync/state"
	"github.com/syncd/syncd/tables"
)

// Check connects to both sides of t and applies the rules a table must meet
// before syncd runs it: every declared column exists, the cursor is NOT
// NULL and indexed, the target's primary key is the declared key and it has
// no other UNIQUE key. A failure to connect is one error Problem.
func Check(ctx context.Context, p *Pools, t tables.Table) []datasync.Problem {
	src, err := OpenSource(ctx, p, t)
	if err != nil {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: err.Error()}}
	}
	out := checkSource(ctx, p, t, src)
	if err := src.CheckPageQuery(ctx); err != nil {
		out = append(out, datasync.Problem{Table: t.Name, Error: true, Message: err.Error()})
	}
	out = append(out, checkDrift(ctx, p, t, src)...)
	m, err := datasync.NewMapping(t, src.Columns())
	if err != nil {
		return append(out, datasync.Problem{Table: t.Name, Error: true, Message: err.Error()})
	}
	return append(out, checkTarget(ctx, p, t, m)...)
}

func checkSource(ctx context.Context, p *Pools, t tables.Table, src *datasync.SQLSource) []datasync.Problem {
	info, err := src.Describe(ctx)
	if errors.Is(err, datasync.ErrNoCatalog) {
		return []datasync.Problem{{Table: t.Name, Message: "source is a query: check that the cursor is NOT NULL and that its base table has an index on (cursor, key)"}}
	}
	if err != nil {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: err.Error()}}
	}
	d, _ := Dialect(p.cfg.Connections[t.Source.Connection].Driver)
	createIndex := func(name string, cols []string) string {
		id, _ := tables.ParseIdent(t.Source.Table, 3)
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = d.Quote(tables.Ident{Parts: []string{c}})
		}
		return "CREATE INDEX " + d.Quote(tables.Ident{Parts: []string{name}}) + " ON " + d.Quote(id) + " (" + strings.Join(quoted, ", ") + ")"
	}
	return datasync.CheckSource(t, info, createIndex)
}

func checkTarget(ctx context.Context, p *Pools, t tables.Table, m datasync.Mapping) []datasync.Problem {
	db, id, err := targetDB(ctx, p, t)
	if err != nil {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: err.Error()}}
	}
	info, err := mysql.Describe(ctx, db, id)
	if err != nil {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: "describe target " + t.Target.Table + ": " + err.Error()}}
	}
	if len(info.Columns) == 0 && t.Target.Create {
		return checkPlan(ctx, p, t)
	}
	if len(info.Columns) == 0 {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: "target table " + t.Target.Table + " does not exist: create it, or set target.create: true (syncd plan " + t.Name + " prints the statement)"}}
	}
	return datasync.CheckTarget(t, m, info)
}

// checkDrift tells what the next run will find changed in the source's
// columns since the last run, and whether that stops it.
func checkDrift(ctx context.Context, p *Pools, t tables.Table, src *datasync.SQLSource) []datasync.Problem {
	db, _, err := targetDB(ctx, p, t)
	if err != nil {
		return nil // checkTarget reports it
	}
	seen, err := state.New(db).SeenColumns(ctx, t.Name)
	if err != nil || seen == nil {
		return nil
	}
	now, err := src.Schema(ctx)
	if err != nil {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: err.Error()}}
	}
	d := datasync.CompareColumns(seen, now)
	if d.Empty() {
		return nil
	}
	if stop := d.Blocking(t.Target.Evolve); !stop.Empty() {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: "source columns changed since the last run, which will stop: " +
			stop.String() + "; make the target match, then run syncd sync " + t.Name + " --accept-schema"}}
	}
	return []datasync.Problem{{Table: t.Name, Message: "source columns changed since the last run, which will add them to the target (target.evolve): " + d.String()}}
}

// checkPlan tells what the first run will create for t, whose target
// table is missing: the plan's warnings, or why it cannot create it.
func checkPlan(ctx context.Context, p *Pools, t tables.Table) []datasync.Problem {
	def, _, err := Plan(ctx, p, t)
	if err != nil {
		return []datasync.Problem{{Table: t.Name, Error: true, Message: "target table " + t.Target.Table + " does not exist and target.create cannot make it: " + err.Error()}}
	}
	out := []datasync.Problem{{Table: t.Name, Message: "target table " + t.Target.Table + " does not exist yet: the first run creates it (target.create); syncd plan " + t.Name + " prints how"}}
	for _, w := range def.Warnings {
		out = append(out, datasync.Problem{Table: t.Name, Message: w})
	}
	return out
}
