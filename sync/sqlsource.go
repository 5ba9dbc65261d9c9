package datasync

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/syncd/syncd/tables"
)

// The capabilities of every SQL source, whatever its dialect: the run
// needs them (schema drift, reject retry), and a kept setup is checked
// with ShapeChecker.
var (
	_ Source       = (*SQLSource)(nil)
	_ SchemaSource = (*SQLSource)(nil)
	_ KeyReader    = (*SQLSource)(nil)
	_ ShapeChecker = (*SQLSource)(nil)
	_ Describer    = (*SQLSource)(nil)
)

// SQLSource is a Source over database/sql, shaped by a Dialect. Each page
// is one statement outside any transaction, at the connection's default
// isolation (never READ UNCOMMITTED or NOLOCK).
type SQLSource struct {
	db      *sql.DB
	d       Dialect
	table   tables.Table
	from    string
	cols    []column
	conv    []func(any) (any, error)
	cursor  column
	keys    []column
	selects string
	ownDB   bool
	// driverTypes holds the driver's type name of each column (lower-cased
	// name: type) as probed; checkResult compares every page with it.
	driverTypes map[string]string
	// shape is what the probe saw of every column of the source, for
	// ColumnsChanged.
	shape string
	// settled holds, for the target read as a source, the position whose
	// lookback window was last found settled (see lookback.go).
	settled atomic.Pointer[string]
	// passed holds, for the target read as a source, where this setup's
	// last run ended and the source's clock then (see lookback_why.go).
	passed atomic.Pointer[passedAt]
}

// NewSQLSource prepares reading table t from db: it learns the source's
// columns with a query that returns no rows and checks that every column
// the declaration uses exists. db stays the caller's to close.
func NewSQLSource(ctx context.Context, db *sql.DB, d Dialect, t tables.Table) (*SQLSource, error) {
	from, err := SourceFrom(d, t.Source)
	if err != nil {
		return nil, err
	}
	all, shape, err := probe(ctx, db, from, sourceName(t))
	if err != nil {
		return nil, err
	}
	driverTypes := make(map[string]string, len(all))
	for _, c := range all {
		driverTypes[strings.ToLower(c.Name)] = c.DatabaseType
	}
	if r, ok := d.(ColumnRefiner); ok {
		if all, err = r.RefineColumns(ctx, db, from, all); err != nil {
			return nil, fmt.Errorf("read column types of %s: %w", sourceName(t), err)
		}
	}
	s, err := NewSQLSourceWithColumns(db, d, t, all)
	if err != nil {
		return nil, err
	}
	s.driverTypes, s.shape = driverTypes, shape
	return s, nil
}

// NewSQLSourceWithColumns is NewSQLSource for a source whose columns are
// already known (all, in the source's order); it reads nothing. The
// dialects' golden tests build their statements with it and a nil db.
func NewSQLSourceWithColumns(db *sql.DB, d Dialect, t tables.Table, all []Column) (*SQLSource, error) {
	from, err := SourceFrom(d, t.Source)
	if err != nil {
		return nil, err
	}
	s := &SQLSource{db: db, d: d, table: t, from: from}
	if err := s.pick(all); err != nil {
		return nil, err
	}
	if c, ok := d.(CursorChecker); ok {
		if err := c.CheckCursor(s.cursor.Column); err != nil {
			return nil, declarationErrorf("%s: source.cursor: %s: %w", t.Name, t.Source.Cursor, err)
		}
	}
	return s, nil
}

// SourceFrom returns the FROM item of a source: the quoted table, or the
// declared query as a derived table.
func SourceFrom(d Dialect, src tables.Source) (string, error) {
	if src.IsQuery() {
		return "(" + src.Query + ") syncd_src", nil
	}
	id, err := tables.ParseIdent(src.Table, 3)
	if err != nil {
		return "", fmt.Errorf("source.table: %w", err)
	}
	return d.Quote(id), nil
}

// probe returns the columns of the source in their declared order, and
// their shape (see columnShape).
func probe(ctx context.Context, db *sql.DB, from, name string) ([]Column, string, error) {
	rows, err := db.QueryContext(ctx, "SELECT * FROM "+from+" WHERE 1=0")
	if err != nil {
		return nil, "", fmt.Errorf("read columns of %s: %w", name, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, "", fmt.Errorf("read columns of %s: %w", name, err)
	}
	cols := make([]Column, len(types))
	for i, ct := range types {
		cols[i] = Column{Name: ct.Name(), DatabaseType: strings.ToUpper(ct.DatabaseTypeName())}
	}
	return cols, columnShape(types), rows.Err()
}

// pick chooses the columns to read: the mapped ones (all when the
// declaration maps none), the key and the cursor.
func (s *SQLSource) pick(all []Column) error {
	want := SourceColumns(s.table, all)
	byName := make(map[string]Column, len(all))
	for _, c := range all {
		byName[c.Name] = c
	}
	for _, c := range all { // a case-insensitive match where no exact one exists
		if _, ok := byName[strings.ToLower(c.Name)]; !ok {
			byName[strings.ToLower(c.Name)] = c
		}
	}
	var missing []string
	quoted := make([]string, 0, len(want))
	for _, name := range want {
		c, ok := byName[name]
		if !ok {
			c, ok = byName[strings.ToLower(name)]
		}
		if !ok {
			missing = append(missing, name)
			continue
		}
		if err := s.addColumn(c); err != nil {
			return err
		}
		quoted = append(quoted, s.cols[len(s.cols)-1].quoted)
	}
	if len(missing) > 0 {
		return &MissingColumnsError{Source: s.name(), Missing: missing, Has: columnNames(all)}
	}
	s.selects = strings.Join(quoted, ", ")
	return s.findKeyAndCursor()
}

func (s *SQLSource) addColumn(c Column) error {
	conv, err := s.d.Converter(c)
	if err != nil {
		return fmt.Errorf("%s: column %s: %w", s.name(), c.Name, err)
	}
	id, err := tables.ParseIdent(c.Name, 1)
	if err != nil {
		// Names the source reports are quoted as one part whatever they hold.
		id = tables.Ident{Parts: []string{c.Name}}
	}
	s.cols = append(s.cols, column{Column: c, quoted: s.d.Quote(id)})
	s.conv = append(s.conv, conv)
	return nil
}

func (s *SQLSource) findKeyAndCursor() error {
	idx := ColumnIndex(s.Columns())
	i, ok := idx.Find(s.table.Source.Cursor)
	if !ok {
		return declarationErrorf("%s: cursor column %s not found", s.name(), s.table.Source.Cursor)
	}
	s.cursor = s.cols[i]
	for _, k := range s.table.Source.Key {
		i, ok := idx.Find(k)
		if !ok {
			return declarationErrorf("%s: key column %s not found", s.name(), k)
		}
		s.keys = append(s.keys, s.cols[i])
	}
	return nil
}

// Columns implements Source.
func (s *SQLSource) Columns() []Column {
	out := make([]Column, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.Column
	}
	return out
}

// UpperBound implements Source.
func (s *SQLSource) UpperBound(ctx context.Context, settle time.Duration) (any, error) {
	q, clocked := s.d.UpperBoundQuery(s.cursor.Column, s.table.Source.CursorClock)
	if q == "" {
		q = "SELECT MAX(" + s.cursor.quoted + ") FROM " + s.from + s.whereSuffix(" WHERE ")
	}
	var raw any
	if err := s.db.QueryRowContext(ctx, q).Scan(&raw); err != nil {
		return nil, fmt.Errorf("read upper bound of %s: %w", s.name(), err)
	}
	i := ColumnIndex(s.Columns()).must(s.cursor.Name)
	v, err := s.conv[i](raw)
	if err == nil && v == nil && clocked {
		// A clock never reads NULL; treating it as an empty source would
		// stall the table without a word.
		err = fmt.Errorf("the source clock (%s) returned NULL", q)
	}
	if err != nil || v == nil || !clocked {
		if err != nil {
			err = fmt.Errorf("read upper bound of %s: %w", s.name(), err)
		}
		return v, err
	}
	t, ok := v.(time.Time)
	if !ok {
		return nil, fmt.Errorf("read upper bound of %s: clock gave %T, not a time", s.name(), v)
	}
	return t.Add(-settle), nil
}

// ReadPage implements Source.
func (s *SQLSource) ReadPage(ctx context.Context, pos Position, hi any, limit int) ([]Row, error) {
	q, args, err := s.pageQuery(pos, hi, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read page of %s after %s: %w", s.name(), pos, s.schemaError(err))
	}
	defer rows.Close()
	if err := s.checkResult(rows); err != nil {
		return nil, fmt.Errorf("read page of %s after %s: %w", s.name(), pos, err)
	}
	page := make([]Row, 0, limit)
	ptrs := make([]any, len(s.cols)+1)
	for rows.Next() {
		r, err := s.scanFlagged(rows, ptrs)
		if err != nil {
			return nil, fmt.Errorf("read page of %s after %s: %w", s.name(), pos, err)
		}
		page = append(page, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read page of %s after %s: %w", s.name(), pos, err)
	}
	return page, nil
}

// PageQuery returns the statement and parameters ReadPage runs; exported
// for the dialects' golden tests.
func (s *SQLSource) PageQuery(pos Position, hi any, limit int) (string, []any, error) {
	return s.pageQuery(pos, hi, limit)
}

func (s *SQLSource) pageQuery(pos Position, hi any, limit int) (string, []any, error) {
	if pos.Key != nil && len(pos.Key) != len(s.keys) {
		return "", nil, fmt.Errorf("%s: stored position has a key of %d columns, the declaration %d: re-sync the table from scratch", s.name(), len(pos.Key), len(s.keys))
	}
	p := &params{d: s.d}
	where, err := s.where(p, pos, hi)
	if err != nil {
		return "", nil, err
	}
	order := []string{s.cursor.quoted}
	for _, k := range s.keys {
		order = append(order, k.quoted)
	}
	lim := p.add(int64(limit))
	return s.d.SelectPage(s.selects+s.deletedSelect(), s.from, where, strings.Join(order, ", "), lim), p.vals, nil
}

// CheckPageQuery has the source parse and plan the page query of an
// initial load, declared filter included, without reading a row (its
// condition ends in AND 1=0): a where: that does not parse, or names a
// column the source lacks, fails here rather than at the first run.
func (s *SQLSource) CheckPageQuery(ctx context.Context) error {
	p := &params{d: s.d}
	where, err := s.where(p, Position{}, nil)
	if err != nil {
		return err
	}
	order := []string{s.cursor.quoted}
	for _, k := range s.keys {
		order = append(order, k.quoted)
	}
	q := s.d.SelectPage(s.selects+s.deletedSelect(), s.from, where+" AND 1=0", strings.Join(order, ", "), p.add(int64(1)))
	rows, err := s.db.QueryContext(ctx, q, p.vals...)
	if err != nil {
		return fmt.Errorf("the source refuses the page query of %s: %w", s.name(), err)
	}
	return rows.Close()
}

// where returns the condition of the rows after pos up to hi (none when
// hi is nil) that the declared filter lets through.
func (s *SQLSource) where(p *params, pos Position, hi any) (string, error) {
	bind := func(c column, v any) (any, error) { return s.d.Bind(c.Column, v) }
	where, err := pageWhere(p, bind, s.cursor, s.keys, pos, hi)
	if err != nil {
		return "", fmt.Errorf("%s: bind position %s: %w", s.name(), pos, err)
	}
	if w := s.whereSuffix(""); w != "" {
		if where != "" {
			where += " AND "
		}
		where += w
	}
	if where == "" {
		where = "1=1"
	}
	return where, nil
}

// CountAfter counts the source rows after pos: what a run starting there
// has left to read, for progress estimates. It is one statement over the
// (cursor, key) index, as a page is; on a large table it can still take
// a while, so callers run it beside the sync, not before it.
func (s *SQLSource) CountAfter(ctx context.Context, pos Position) (int64, error) {
	if pos.Key != nil && len(pos.Key) != len(s.keys) {
		return 0, fmt.Errorf("%s: stored position has a key of %d columns, the declaration %d", s.name(), len(pos.Key), len(s.keys))
	}
	p := &params{d: s.d}
	where, err := s.where(p, pos, nil)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.from+" WHERE "+where, p.vals...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s after %s: %w", s.name(), pos, err)
	}
	return n, nil
}

// whereSuffix returns the declared filter, parenthesised, after prefix.
func (s *SQLSource) whereSuffix(prefix string) string {
	if s.table.Source.Where == "" {
		return ""
	}
	return prefix + "(" + s.table.Source.Where + ")"
}

// Dialect returns the dialect the source reads with.
func (s *SQLSource) Dialect() Dialect { return s.d }

// Close implements Source. It closes the pool only when the source owns
// it (see OwnDB): pools are usually shared by every table of a connection.
func (s *SQLSource) Close() error {
	if s.ownDB {
		return s.db.Close()
	}
	return nil
}

// OwnDB hands the pool to the source, so that Close closes it; for a
// source opened with a pool of its own.
func (s *SQLSource) OwnDB() *SQLSource {
	s.ownDB = true
	return s
}
