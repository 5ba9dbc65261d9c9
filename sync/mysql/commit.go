package mysql

import (
	"context"
	"database/sql/driver"
)

// database/sql's Tx.Commit takes no context, and go-sql-driver/mysql sends
// its COMMIT and ROLLBACK without watching one. On a connection that stops
// answering without closing (half-open: a peer gone without a FIN, a
// firewall dropping packets), a COMMIT would wait for its answer forever:
// past the table's page_timeout, past the task's own timeout, holding the
// table's run (and a pool connection) until the kernel gives the
// connection up, which on a stalled path can be never.
//
// The pools OpenDB opens therefore hand out connections whose transactions
// send COMMIT and ROLLBACK as statements bound by the context the
// transaction began with, as every statement inside it already is: when
// that context ends, the driver closes the connection and the call
// returns. Whether a COMMIT cut short took effect only the server knows;
// syncd never needs to, since a page's rows and its position commit
// together and a failed run starts again from the stored position.

// ctxConnector hands out ctxConns over the driver's connections.
type ctxConnector struct{ driver.Connector }

func (c ctxConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &ctxConn{conn.(mysqlConn)}, nil
}

// mysqlConn is what go-sql-driver/mysql's connections implement beyond
// driver.Conn, all of which database/sql looks for and ctxConn passes on.
type mysqlConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.NamedValueChecker
	driver.SessionResetter
	driver.Validator
}

// ctxConn is a driver connection whose transactions end within the
// context they began with.
type ctxConn struct{ mysqlConn }

func (c *ctxConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if _, err := c.mysqlConn.BeginTx(ctx, opts); err != nil {
		return nil, err
	}
	return &ctxTx{conn: c.mysqlConn, ctx: ctx}, nil
}

// Begin is the driver.Conn method database/sql no longer calls (it calls
// BeginTx); it is here so that no path reaches the driver's own.
func (c *ctxConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// ctxTx ends a transaction with statements bound by ctx, the context
// database/sql's BeginTx was given (database/sql's own Commit cancels the
// context it derives from it before calling Commit, so that one cannot
// be used).
type ctxTx struct {
	conn mysqlConn
	ctx  context.Context
}

func (t *ctxTx) Commit() error { return t.end("COMMIT") }

func (t *ctxTx) Rollback() error {
	if t.ctx.Err() != nil {
		// database/sql rolls back when the context ends, and discards the
		// connection when told it is bad: the server then rolls back as
		// the connection closes, and no ROLLBACK waits on a connection
		// that may not answer.
		return driver.ErrBadConn
	}
	return t.end("ROLLBACK")
}

func (t *ctxTx) end(stmt string) error {
	_, err := t.conn.ExecContext(t.ctx, stmt, nil)
	return err
}
