package main

import (
	"context"
	"fmt"
	"time"
)

// churnStatements change a few rows each tick, as a busy ERP would: price
// and credit changes, new orders with lines.
var churnStatements = []string{
	`UPDATE suppliers SET credit_limit = credit_limit + 1, modified_at = localtimestamp
		WHERE supplier_id IN (SELECT 1 + floor(random() * 200)::int FROM generate_series(1, 3))`,
	`UPDATE materials SET price = price + 0.0001, modified_at = localtimestamp
		WHERE material_id IN (SELECT 1 + floor(random() * 500)::int FROM generate_series(1, 2))`,
	`WITH o AS (INSERT INTO orders (order_id, supplier_id)
		SELECT COALESCE(MAX(order_id), 0) + 1, 1 + floor(random() * 200)::int FROM orders RETURNING order_id)
	 INSERT INTO order_lines (order_id, line_no, material_id, qty, amount)
		SELECT o.order_id, l, 1 + floor(random() * 500)::int, l, l * 9.99 FROM o, generate_series(1, 2) l`,
}

// churn changes rows every tick until ctx ends.
func churn(ctx context.Context, pgAdmin string, every time.Duration) error {
	src, err := open(ctx, "pgx", demoDSN(pgAdmin, demoDB))
	if err != nil {
		return err
	}
	defer src.Close()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; ; n++ {
		if err := execAll(ctx, src, churnStatements...); err != nil {
			return fmt.Errorf("churn: %w", err)
		}
		if n%10 == 0 {
			fmt.Printf("syncd-demo: %d rounds of changes (3 suppliers, 2 materials, 1 order with 2 lines each)\n", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
