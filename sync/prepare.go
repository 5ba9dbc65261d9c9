package datasync

import "context"

// Preparer is a Target that prepares a page for writing (its rows put in
// write order and encoded for the wire) apart from writing it, so that a
// run prepares page N+1 while page N is being written.
type Preparer interface {
	// Prepare readies rows, in the target's column order, for
	// WritePrepared. It does no I/O and may run beside a write.
	Prepare(rows []Row) Prepared
	// WritePrepared is WritePage for a prepared page.
	WritePrepared(ctx context.Context, st State, p Prepared, pos Position) (WriteStats, error)
}

// PartPreparer is a PartWriter that writes pages its Preparer readied.
type PartPreparer interface {
	// WritePreparedPart is WritePart for a prepared page.
	WritePreparedPart(ctx context.Context, part PartState, p Prepared, last []any, fresh bool) (WriteStats, error)
}

// Prepared is a page made ready by its Target's Prepare; only that Target
// reads it.
type Prepared interface {
	// Len is the number of rows the page writes.
	Len() int
}

// preparePages projects each read page to the target's columns and, when
// the target is a Preparer, prepares it, in a goroutine of its own between
// the reader and the writer. The channel it returns is unbuffered: one
// prepared page waits for the writer, so memory stays a few pages.
func preparePages(ctx context.Context, o Options, in <-chan page) <-chan page {
	out := make(chan page)
	pr, _ := o.Target.(Preparer)
	go func() {
		defer close(out)
		for p := range in {
			if p.err == nil {
				p.out, p.gone = splitPage(p.rows, o.Mapping, len(o.Source.Columns()))
				if pr != nil && len(p.gone) == 0 {
					p.prep = pr.Prepare(p.out)
				}
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// writePartRows writes a part's page as prepared, or as projected rows.
func writePartRows(ctx context.Context, tgt PartWriter, ps PartState, p page, fresh bool) (WriteStats, error) {
	if pp, ok := tgt.(PartPreparer); ok && p.prep != nil {
		return pp.WritePreparedPart(ctx, ps, p.prep, p.last.Key, fresh)
	}
	return tgt.WritePart(ctx, ps, p.out, p.last.Key, fresh)
}

// writeRows writes a page as prepared, or as projected rows; a page with
// rows that source.deleted_when marks deleted removes them in the same
// transaction (writeLive).
func writeRows(ctx context.Context, o Options, st State, p page) (WriteStats, error) {
	if len(p.gone) > 0 {
		return writeLive(ctx, o.Target, st, p.out, p.gone, p.last)
	}
	if pr, ok := o.Target.(Preparer); ok && p.prep != nil {
		return pr.WritePrepared(ctx, st, p.prep, p.last)
	}
	return o.Target.WritePage(ctx, st, p.out, p.last)
}
