// Package sqlstore implements demarc.Store once, in SQL that SQLite and
// PostgreSQL both run, over a small Backend that each driver package
// (sqlite, postgres) provides: transactions, the classification of driver
// errors, and change notification. Sharing the implementation keeps the
// two backends' behaviour identical by construction; the contract suite in
// package storetest checks it.
//
// # Design
//
// Every table has an org_id column and every query filters on it; child
// tables reference their parents by (org_id, id), so the database itself
// refuses a row that points into another organisation.
//
// Every change is one write transaction that also appends an audit event to
// each organisation it touches. The event's sequence number and the hash of
// its predecessor come from that organisation's row in audit_heads, which
// the transaction locks first (SELECT … FOR UPDATE on PostgreSQL; SQLite
// serialises writers with BEGIN IMMEDIATE). Writes within one organisation
// are therefore serialised, the chain stays linear, and a change is never
// committed without its event. Transactions that lock several
// organisations lock them in id order; a deadlock or serialisation failure
// that happens anyway is retried.
//
// Reads that need several statements run in one read-only snapshot
// (REPEATABLE READ on PostgreSQL, a WAL read transaction on SQLite);
// single-statement reads, the common case, run without a transaction.
//
// Optimistic concurrency: records carry a version; an update reads the
// record after taking its organisation's lock, so checking the expected
// version and writing the new one are atomic, and a mismatch is an
// EConflict error wrapping demarc.ErrVersionMismatch.
//
// Times are stored as microseconds since the Unix epoch (0 for none) and
// absent strings as "", so both databases scan every column into plain Go
// types.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
)

// Backend is what a database driver package provides.
type Backend interface {
	// Begin starts a transaction. Write transactions must be serialised
	// per organisation by the row lock in Dialect.ForUpdate, or globally
	// by Begin itself.
	Begin(ctx context.Context, mode Mode) (Tx, error)
	// Classify says what kind of failure a driver error is.
	Classify(err error) Class
	// BeforeCommit runs last in a write transaction that made changes.
	BeforeCommit(ctx context.Context, tx Tx, changes []demarc.Change) error
	// AfterCommit runs after such a transaction committed.
	AfterCommit(changes []demarc.Change)
	// Dialect describes the SQL differences.
	Dialect() Dialect
	// Ping checks the connection.
	Ping(ctx context.Context) error
	// Close releases the backend.
	Close() error
}

// Dialect holds what differs between the SQL the databases accept.
type Dialect struct {
	Name string
	// Bytes is the column type for binary content (BLOB, BYTEA).
	Bytes string
	// ForUpdate is appended to a SELECT to lock the rows it reads.
	ForUpdate string
	// MigrationLock, when set, runs first in the migration transaction
	// so that replicas starting together migrate one at a time.
	MigrationLock string
}

// Mode is what a transaction will do.
type Mode int

// Transaction modes.
const (
	// ReadSnapshot reads with several statements from one snapshot.
	ReadSnapshot Mode = iota
	// ReadOne runs a single read statement, which needs no transaction:
	// a statement always sees one snapshot.
	ReadOne
	// Write changes data.
	Write
)

// Tx is a transaction. Placeholders are $1, $2, … in both dialects.
type Tx interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Rows iterates over a query's result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result; Scan reports no rows as an error the
// backend classifies as ClassNoRows.
type Row interface {
	Scan(dest ...any) error
}

// Class is a kind of driver failure.
type Class int

// Failure classes.
const (
	ClassOther      Class = iota
	ClassNoRows           // the query returned no row
	ClassUnique           // a unique constraint was violated
	ClassForeignKey       // a foreign key was violated
	ClassRetry            // deadlock, serialisation failure, busy: try again
)

// Store implements demarc.Store over a Backend.
type Store struct {
	b    Backend
	d    Dialect
	feed *Feed
}

var _ demarc.Store = (*Store)(nil)

// New migrates the database to the current schema and returns the store.
// feed receives the changes; the backend publishes them into it.
func New(ctx context.Context, b Backend, feed *Feed) (*Store, error) {
	s := &Store{b: b, d: b.Dialect(), feed: feed}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Watch implements demarc.Store.
func (s *Store) Watch(ctx context.Context) <-chan demarc.Change { return s.feed.Subscribe(ctx) }

// Ping implements demarc.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.b.Ping(ctx); err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// Close implements demarc.Store.
func (s *Store) Close() error {
	s.feed.Close()
	if err := s.b.Close(); err != nil {
		return s.fail("close", err)
	}
	return nil
}

// read runs fn, which reads with several statements, in a read-only
// transaction.
func (s *Store) read(ctx context.Context, op string, fn func(tx Tx) error) error {
	return s.run(ctx, op, ReadSnapshot, fn)
}

// readOne runs fn, which reads with one statement.
func (s *Store) readOne(ctx context.Context, op string, fn func(tx Tx) error) error {
	return s.run(ctx, op, ReadOne, fn)
}

func (s *Store) run(ctx context.Context, op string, mode Mode, fn func(tx Tx) error) error {
	tx, err := s.b.Begin(ctx, mode)
	if err != nil {
		return s.fail(op, err)
	}
	if err := fn(tx); err != nil {
		return s.fail(op, errors.Join(err, rollback(tx)))
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// write runs fn in a write transaction, retrying it when the database
// asks for a retry; fn must therefore only touch state through w.
func (s *Store) write(ctx context.Context, op string, by demarc.Actor, fn func(w *writer) error) error {
	const attempts = 12
	for attempt := 1; ; attempt++ {
		w, err := s.attempt(ctx, by, fn)
		if err == nil {
			if len(w.changes) > 0 {
				s.b.AfterCommit(w.changes)
			}
			return nil
		}
		if attempt == attempts || s.b.Classify(err) != ClassRetry || ctx.Err() != nil {
			return s.fail(op, err)
		}
		backoff := time.Duration(attempt*attempt) * time.Millisecond
		select {
		case <-time.After(backoff + rand.N(backoff)):
		case <-ctx.Done():
			return s.fail(op, ctx.Err())
		}
	}
}

func (s *Store) attempt(ctx context.Context, by demarc.Actor, fn func(w *writer) error) (*writer, error) {
	tx, err := s.b.Begin(ctx, Write)
	if err != nil {
		return nil, err
	}
	w := &writer{Tx: tx, s: s, ctx: ctx, by: by, now: now(), heads: map[demarc.OrgID]*demarc.ChainHead{}}
	if err := fn(w); err != nil {
		return nil, errors.Join(err, rollback(tx))
	}
	if len(w.changes) > 0 {
		if err := s.b.BeforeCommit(ctx, tx, w.changes); err != nil {
			return nil, errors.Join(err, rollback(tx))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// rollback ends a failed transaction, even when the request's context
// is what failed.
func rollback(tx Tx) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tx.Rollback(ctx); err != nil {
		return fmt.Errorf("roll back: %w", err)
	}
	return nil
}

// now is the store's clock, at the precision the databases keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// fail turns any error into a *demarc.Error with op set. Driver errors
// stop here: their text is kept for the logs, their types are not.
func (s *Store) fail(op string, err error) error {
	var de *demarc.Error
	if errors.As(err, &de) {
		if de.Op == "" {
			de.Op = op
		}
		return de
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "storage request interrupted", Err: err}
	}
	cause := errors.New(err.Error())
	switch s.b.Classify(err) {
	case ClassNoRows:
		return &demarc.Error{Code: demarc.ENotFound, Op: op, Message: "not found"}
	case ClassUnique:
		return &demarc.Error{Code: demarc.EConflict, Op: op, Message: "conflicts with an existing record", Err: cause}
	case ClassForeignKey:
		return &demarc.Error{Code: demarc.ENotFound, Op: op, Message: "refers to a record that does not exist", Err: cause}
	}
	return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "storage failure", Err: cause}
}

// is reports whether err is a driver error of class c.
func (s *Store) is(err error, c Class) bool {
	var de *demarc.Error
	return err != nil && !errors.As(err, &de) && s.b.Classify(err) == c
}

func notFound(format string, args ...any) error {
	return demarc.Errorf(demarc.ENotFound, format, args...)
}

func conflict(format string, args ...any) error {
	return demarc.Errorf(demarc.EConflict, format, args...)
}

func invalid(format string, args ...any) error {
	return demarc.Errorf(demarc.EInvalid, format, args...)
}

// stale is the error of an update whose expected version is not the
// stored one.
func stale(what string, id any, have, want int) error {
	return &demarc.Error{
		Code:    demarc.EConflict,
		Message: fmt.Sprintf("%s %s is at version %d, not %d: reload it and apply the change again", what, id, have, want),
		Err:     demarc.ErrVersionMismatch,
	}
}

// micros stores a time; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reads a stored time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// cursor decodes an id cursor: ids only hold [a-z0-9_].
func cursor(after string) (string, error) {
	if strings.Trim(after, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" || len(after) > 64 {
		return "", invalid("page cursor %q is not one this server issued", after)
	}
	return after, nil
}

// page cuts the one extra row a list query fetched and returns the cursor
// of the next page.
func page[T any](items []T, size int, id func(T) string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, id(items[size-1])
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// uniq returns the distinct values of xs, sorted.
func uniq[T ~string](xs []T) []T {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
