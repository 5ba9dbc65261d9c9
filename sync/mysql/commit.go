package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	gomysql "github.com/go-sql-driver/mysql"
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
// send COMMIT as a statement bound by the deadline of the context the
// transaction began with (a page's page_timeout, a task's timeout): when
// it passes, the driver closes the connection and the call returns. Only
// the deadline: a COMMIT under way when the context is cancelled (a
// worker shutting down) completes, so that a run stops at the page
// boundary with its page counted, as before. Whether a COMMIT cut short
// took effect only the server knows (ErrCommitUnknown); a page's rows and
// its position commit together and a failed run starts again from the
// stored position, so no row is lost either way. ROLLBACK is bound by the
// context itself: cutting one short only closes the connection, which
// rolls back too.

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
// be used): COMMIT by its deadline, ROLLBACK by the context.
type ctxTx struct {
	conn mysqlConn
	ctx  context.Context
}

// ErrCommitUnknown says a COMMIT got no answer from the server (its
// deadline passed, or the connection broke under it): the transaction may
// or may not have taken effect. A page's rows and its position went
// together, so the next run starts right either way; only the failed
// run's counts may be a page short.
var ErrCommitUnknown = errors.New("COMMIT got no answer, so whether it took effect is unknown (the next run starts from the stored position; this run's counts may miss its last page)")

func (t *ctxTx) Commit() error {
	ctx := context.WithoutCancel(t.ctx)
	if d, ok := t.ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	_, err := t.conn.ExecContext(ctx, "COMMIT", nil)
	var answer *gomysql.MySQLError
	if err != nil && !errors.As(err, &answer) {
		return fmt.Errorf("%w: %w", ErrCommitUnknown, err)
	}
	return err
}

func (t *ctxTx) Rollback() error {
	if t.ctx.Err() != nil {
		// database/sql rolls back when the context ends, and discards the
		// connection when told it is bad: the server then rolls back as
		// the connection closes, and no ROLLBACK waits on a connection
		// that may not answer.
		return driver.ErrBadConn
	}
	_, err := t.conn.ExecContext(t.ctx, "ROLLBACK", nil)
	return err
}
