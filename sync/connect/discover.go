package connect

import (
	"context"
	"fmt"

	"github.com/syncd/syncd/sync/discover"
)

// Discover reads the catalog of the source connection opt.Connection and
// writes a declaration per table that can be synced (see
// discover.Discover).
func Discover(ctx context.Context, p *Pools, opt discover.Options) ([]discover.Table, error) {
	c, ok := p.cfg.Connections[opt.Connection]
	if !ok {
		return nil, fmt.Errorf("connection %s is not declared in %s", opt.Connection, p.cfg.File)
	}
	d, err := Dialect(c.Driver)
	if err != nil {
		return nil, err
	}
	dd, ok := d.(discover.Discoverer)
	if !ok {
		return nil, fmt.Errorf("connection %s: the %s dialect cannot list its tables", opt.Connection, c.Driver)
	}
	db, err := p.DB(ctx, opt.Connection)
	if err != nil {
		return nil, err
	}
	return discover.Discover(ctx, db, dd, p.cfg, opt)
}
