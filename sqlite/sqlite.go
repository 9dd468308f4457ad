// Package sqlite is demarc's embedded store: one SQLite file, written
// through modernc.org/sqlite (pure Go, no cgo), so that `demarc serve`
// works on a fresh machine with no set-up.
//
// The database runs in WAL mode with foreign keys on and a busy timeout.
// Commits are durable: synchronous=FULL makes every commit wait until the
// write-ahead log is on disk, so an acknowledged write survives a killed
// process and also a power cut. (synchronous=NORMAL would survive a killed
// process — the WAL is in the page cache — but a power cut may lose the
// last commits; a store of sign-offs and an audit trail should not.)
//
// Writes go through one connection and begin with BEGIN IMMEDIATE, so
// writers queue in Go instead of spinning on SQLITE_BUSY; reads use a
// pool of read-only connections and, thanks to WAL, never wait for a
// writer. Changes are announced in-process: one server process per file.
//
// Migrations are embedded and applied by Open. Backup makes a consistent
// copy of a live database with VACUUM INTO; Restore puts one in place.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/sqlstore"
)

// Store is a demarc.Store in one SQLite file.
type Store struct {
	*sqlstore.Store
	b *backend
}

var _ demarc.Store = (*Store)(nil)

// BusyTimeout is how long, in milliseconds, a connection waits for a lock
// another process holds before failing.
const BusyTimeout = 10000

// Open opens or creates the database at path and brings its schema up to
// date. The directory must exist.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, &demarc.Error{Code: demarc.EInvalid, Op: "open sqlite", Message: "no database path given"}
	}
	writer, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, openError(path, err)
	}
	writer.SetMaxOpenConns(1)
	reader, err := sql.Open("sqlite", dsn(path, "_pragma=query_only(1)"))
	if err != nil {
		return nil, errors.Join(openError(path, err), writer.Close())
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers) // opening a connection runs the pragmas: keep them
	writer.SetMaxIdleConns(1)
	// The writer must exist first: it creates the file and switches it
	// to WAL, which read-only connections cannot do.
	if err := writer.PingContext(ctx); err != nil {
		return nil, errors.Join(openError(path, err), writer.Close(), reader.Close())
	}
	feed := sqlstore.NewFeed()
	b := &backend{path: path, writer: newStatements(writer), reader: newStatements(reader), feed: feed}
	s, err := sqlstore.New(ctx, b, feed)
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return &Store{Store: s, b: b}, nil
}

func openError(path string, err error) error {
	return &demarc.Error{Code: demarc.EInternal, Op: "open sqlite", Message: "cannot open database " + path, Err: errors.New(err.Error())}
}

// dsn builds the connection string: the path as a file: URI, the pragmas
// every connection runs, and extra parameters.
func dsn(path string, extra ...string) string {
	params := append([]string{
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_pragma=foreign_keys(1)",
		fmt.Sprintf("_pragma=busy_timeout(%d)", BusyTimeout),
	}, extra...)
	return "file:" + escapePath(path) + "?" + strings.Join(params, "&")
}

// escapePath escapes what a file: URI path cannot hold literally.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.b.path }

// Backup writes a consistent copy of the live database to dest, which
// must not exist, while the store keeps serving reads and writes. The
// copy is checked with PRAGMA integrity_check before it appears at dest.
func (s *Store) Backup(ctx context.Context, dest string) error {
	const op = "backup"
	if _, err := os.Lstat(dest); err == nil {
		return &demarc.Error{Code: demarc.EConflict, Op: op, Message: dest + " already exists: choose a new file"}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".demarc-backup-*")
	if err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Op: op, Message: "cannot write next to " + dest, Err: err}
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // gone after the rename; cleans up on failure
	if err := tmp.Close(); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot prepare backup file", Err: err}
	}
	if err := os.Remove(tmpPath); err != nil { // VACUUM INTO wants to create the file
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot prepare backup file", Err: err}
	}
	if err := vacuumInto(ctx, s.b.path, tmpPath); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot copy the database", Err: errors.New(err.Error())}
	}
	if err := check(ctx, tmpPath); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "the copy failed its integrity check", Err: err}
	}
	if err := syncFile(tmpPath); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot flush the backup to disk", Err: err}
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot move the backup into place", Err: err}
	}
	return syncFile(filepath.Dir(dest))
}

// vacuumInto copies the database at path to dest in one read
// transaction, on a connection of its own so that the store's readers
// stay read-only and its writer stays free.
func vacuumInto(ctx context.Context, path, dest string) error {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO $1`, dest)
	return errors.Join(err, db.Close())
}

// Restore puts the backup at src in place of the database at dest, which
// no process may have open. The backup is checked first: it must pass
// PRAGMA integrity_check and have a schema this demarc knows.
func Restore(ctx context.Context, src, dest string) error {
	const op = "restore"
	if err := check(ctx, src); err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Op: op, Message: src + " is not a usable demarc backup", Err: err}
	}
	tmp := dest + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot copy the backup", Err: err}
	}
	// Open the copy once: it proves the schema is known (or upgrades it)
	// before anything of dest is touched.
	s, err := Open(ctx, tmp)
	if err != nil {
		return errors.Join(err, removeDB(tmp))
	}
	if err := s.Close(); err != nil {
		return errors.Join(err, removeDB(tmp))
	}
	if err := removeDB(dest); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot remove the old database", Err: err}
	}
	if err := os.Rename(tmp, dest); err != nil {
		return &demarc.Error{Code: demarc.EInternal, Op: op, Message: "cannot move the restored database into place", Err: err}
	}
	return errors.Join(removeDB(tmp), syncFile(filepath.Dir(dest)))
}

// check opens a database file read-only and runs integrity_check.
func check(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?mode=ro")
	if err != nil {
		return err
	}
	var result string
	err = db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result)
	if err == nil && result != "ok" {
		err = fmt.Errorf("integrity_check: %s", result)
	}
	if err == nil {
		var n int
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n)
	}
	return errors.Join(err, db.Close())
}

// removeDB removes a database file and its WAL and shared-memory files.
func removeDB(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func copyFile(src, dest string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dest, data, 0o600); err != nil {
		return err
	}
	return syncFile(dest)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// backend implements sqlstore.Backend.
type backend struct {
	path           string
	writer, reader *statements
	feed           *sqlstore.Feed
}

// statements is a database handle with a cache of prepared statements:
// SQLite spends more time parsing the store's queries than running them.
// A query is prepared in the background the first time it runs (and runs
// unprepared meanwhile): preparing on the handle needs a connection, and
// the caller's transaction may hold the only one. database/sql then
// prepares a cached statement once on each connection that uses it.
// Statements without arguments (migrations, which hold several statements
// in one string) are never cached.
type statements struct {
	db       *sql.DB
	mu       sync.Mutex
	cache    map[string]*sql.Stmt
	pending  map[string]bool
	closed   bool
	preparer sync.WaitGroup
}

func newStatements(db *sql.DB) *statements {
	return &statements{db: db, cache: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// maxStatements bounds the cache; the store issues a few dozen distinct
// queries, and lists of ids add one per length.
const maxStatements = 1000

// lookup returns the cached statement for query, or nil after starting to
// prepare it.
func (st *statements) lookup(query string) *sql.Stmt {
	st.mu.Lock()
	defer st.mu.Unlock()
	if stmt, ok := st.cache[query]; ok {
		return stmt
	}
	if st.closed || st.pending[query] || len(st.cache)+len(st.pending) >= maxStatements {
		return nil
	}
	st.pending[query] = true
	st.preparer.Add(1)
	go st.prepare(query)
	return nil
}

// prepare adds a prepared statement to the cache. When preparing fails the
// query keeps running unprepared, and the next use tries again.
func (st *statements) prepare(query string) {
	defer st.preparer.Done()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stmt, err := st.db.PrepareContext(ctx, query)
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.pending, query)
	if err == nil {
		st.cache[query] = stmt
	}
}

func (st *statements) close() error {
	st.mu.Lock()
	st.closed = true
	st.mu.Unlock()
	st.preparer.Wait()
	var errs []error
	for _, stmt := range st.cache {
		errs = append(errs, stmt.Close())
	}
	st.cache = nil
	return errors.Join(append(errs, st.db.Close())...)
}

func (b *backend) Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "sqlite", Bytes: "BLOB"}
}

func (b *backend) Begin(ctx context.Context, mode sqlstore.Mode) (sqlstore.Tx, error) {
	switch mode {
	case sqlstore.ReadOne:
		return sqlTx{stmts: b.reader}, nil
	case sqlstore.Write:
		return b.writer.begin(ctx)
	}
	return b.reader.begin(ctx)
}

func (b *backend) Classify(err error) sqlstore.Class {
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ClassNoRows
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.ClassOther
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.ClassUnique
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ClassForeignKey
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return sqlstore.ClassRetry
	}
	return sqlstore.ClassOther
}

// BeforeCommit has nothing to do: changes are announced in-process.
func (b *backend) BeforeCommit(context.Context, sqlstore.Tx, []demarc.Change) error { return nil }

func (b *backend) AfterCommit(changes []demarc.Change) { b.feed.Publish(changes...) }

func (b *backend) Ping(ctx context.Context) error {
	return errors.Join(b.writer.db.PingContext(ctx), b.reader.db.PingContext(ctx))
}

func (b *backend) Close() error {
	return errors.Join(b.reader.close(), b.writer.close())
}

func (st *statements) begin(ctx context.Context) (sqlstore.Tx, error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return sqlTx{tx: tx, stmts: st}, nil
}

// sqlTx adapts *sql.Tx to sqlstore.Tx; with no tx it runs its one
// statement on the pool, outside a transaction.
type sqlTx struct {
	tx    *sql.Tx
	stmts *statements
}

// querier is what *sql.Tx and *sql.DB share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (t sqlTx) querier() querier {
	if t.tx != nil {
		return t.tx
	}
	return t.stmts.db
}

// stmt returns the cached prepared statement for query, bound to the
// transaction if there is one, or nil to run query unprepared.
func (t sqlTx) stmt(ctx context.Context, query string, args []any) *sql.Stmt {
	if len(args) == 0 {
		return nil
	}
	stmt := t.stmts.lookup(query)
	if stmt == nil || t.tx == nil {
		return stmt
	}
	return t.tx.StmtContext(ctx, stmt)
}

func (t sqlTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if stmt := t.stmt(ctx, query, args); stmt != nil {
		res, err = stmt.ExecContext(ctx, args...)
	} else {
		res, err = t.querier().ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t sqlTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	var rows *sql.Rows
	var err error
	if stmt := t.stmt(ctx, query, args); stmt != nil {
		rows, err = stmt.QueryContext(ctx, args...)
	} else {
		rows, err = t.querier().QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return &sqlRows{rows: rows}, nil
}

func (t sqlTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if stmt := t.stmt(ctx, query, args); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return t.querier().QueryRowContext(ctx, query, args...)
}

func (t sqlTx) Commit(context.Context) error {
	if t.tx == nil {
		return nil
	}
	return t.tx.Commit()
}

// Rollback treats a transaction database/sql already ended (its context
// was cancelled) as rolled back.
func (t sqlTx) Rollback(context.Context) error {
	if t.tx == nil {
		return nil
	}
	if err := t.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// sqlRows adapts *sql.Rows: Close keeps its error for Err, which
// callers check after closing, as with pgx.
type sqlRows struct {
	rows     *sql.Rows
	closeErr error
}

func (r *sqlRows) Next() bool             { return r.rows.Next() }
func (r *sqlRows) Scan(dest ...any) error { return r.rows.Scan(dest...) }
func (r *sqlRows) Err() error             { return errors.Join(r.rows.Err(), r.closeErr) }

func (r *sqlRows) Close() {
	if err := r.rows.Close(); err != nil && r.closeErr == nil {
		r.closeErr = err
	}
}

// DSN returns the connection string Open uses for path, for tools that
// need a raw database/sql handle on the same file (tests, forensics).
func DSN(path string) string { return dsn(path) }
