// Package postgres is demarc's store for teams that outgrow one machine:
// several `demarc serve` replicas share one PostgreSQL database through
// github.com/jackc/pgx/v5.
//
// It runs the same SQL and the same embedded migrations as package sqlite
// (see internal/sqlstore). Migrations are applied on open under an
// advisory lock, so replicas starting together migrate once. Writes lock
// the organisation's audit-chain head row (SELECT … FOR UPDATE), which
// serialises one organisation's writes across every replica while
// different organisations write in parallel; deadlocks and serialisation
// failures are retried.
//
// Every write transaction ends with pg_notify on a channel named for the
// schema; PostgreSQL delivers it to every replica's listening connection
// when, and only when, the transaction commits. Each replica turns those
// notifications into demarc.Changes for Watch, so a change made through
// one replica is announced by all of them at once. When the listening
// connection drops, watchers receive a Lost change and the listener
// reconnects.
//
// Commits are durable as PostgreSQL makes them (synchronous_commit=on,
// the default). Back up with pg_dump; see Store.BackupHint.
package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/sqlstore"
)

// Config says which database to use.
type Config struct {
	// DSN is a PostgreSQL connection string, URL or key=value form.
	DSN string
	// Schema holds demarc's tables; it is created if missing. Empty means
	// the connection's default (usually public).
	Schema string
	// MaxConns bounds the connections of this replica; 0 means 4 per CPU.
	MaxConns int
}

// Store is a demarc.Store in PostgreSQL.
type Store struct {
	*sqlstore.Store
	b *backend
}

var _ demarc.Store = (*Store)(nil)

// Open connects, creates the schema if needed, applies migrations and
// starts listening for other replicas' changes.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	connCfg, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.EInvalid, Op: "open postgres", Message: "the PostgreSQL connection string is not valid", Err: errors.New(err.Error())}
	}
	if cfg.Schema != "" {
		if err := createSchema(ctx, connCfg, cfg.Schema); err != nil {
			return nil, err
		}
		connCfg.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 4 * runtime.GOMAXPROCS(0)
	}
	feed := sqlstore.NewFeed()
	b := &backend{pool: newPool(connCfg, cfg.MaxConns), cfg: connCfg, channel: channel(cfg.Schema), schema: cfg.Schema, feed: feed}
	if err := b.listen(ctx); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	s, err := sqlstore.New(ctx, b, feed)
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	return &Store{Store: s, b: b}, nil
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return connectError(err)
	}
	defer closeConn(conn)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		var pe *pgconn.PgError
		// Two replicas creating it at once: one wins, which is fine.
		if !errors.As(err, &pe) || pe.Code != "23505" && pe.Code != "42P06" {
			return &demarc.Error{Code: demarc.EInternal, Op: "open postgres", Message: "cannot create schema " + schema, Err: errors.New(err.Error())}
		}
	}
	return nil
}

func connectError(err error) error {
	return &demarc.Error{Code: demarc.EInternal, Op: "open postgres", Message: "cannot connect to PostgreSQL", Err: errors.New(err.Error())}
}

// channel is the notification channel of a schema: notifications are
// database-wide, so each schema needs its own.
func channel(schema string) string {
	if schema == "" {
		return "demarc_changes"
	}
	sum := sha256.Sum256([]byte(schema))
	return "demarc_changes_" + hex.EncodeToString(sum[:8])
}

// BackupHint says how to back up this database, for `demarc backup`.
func (s *Store) BackupHint() string {
	schema := ""
	if s.b.schema != "" {
		schema = " --schema=" + s.b.schema
	}
	return "pg_dump --format=custom" + schema + " --file=demarc.dump \"$DSN\"  # restore with: pg_restore --clean --dbname=\"$DSN\" demarc.dump"
}

// backend implements sqlstore.Backend.
type backend struct {
	pool    *pool
	cfg     *pgx.ConnConfig
	channel string
	schema  string
	feed    *sqlstore.Feed

	stopListen context.CancelFunc
	listening  sync.WaitGroup
}

func (b *backend) Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:          "postgres",
		Bytes:         "BYTEA",
		ForUpdate:     " FOR UPDATE",
		MigrationLock: `SELECT pg_advisory_xact_lock(hashtext('demarc migrations ' || current_schema()))`,
	}
}

func (b *backend) Begin(ctx context.Context, mode sqlstore.Mode) (sqlstore.Tx, error) {
	conn, err := b.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	t := &pgTx{conn: conn, pool: b.pool}
	opts := pgx.TxOptions{}
	switch mode {
	case sqlstore.ReadOne:
		return t, nil // one statement sees one snapshot: no BEGIN, no COMMIT
	case sqlstore.ReadSnapshot:
		// One snapshot for every statement, as SQLite's WAL readers have.
		opts.AccessMode, opts.IsoLevel = pgx.ReadOnly, pgx.RepeatableRead
	}
	t.tx, err = conn.BeginTx(ctx, opts)
	if err != nil {
		b.pool.release(conn)
		return nil, err
	}
	return t, nil
}

func (b *backend) Classify(err error) sqlstore.Class {
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ClassNoRows
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.ClassOther
	}
	switch pe.Code {
	case "23505":
		return sqlstore.ClassUnique
	case "23503":
		return sqlstore.ClassForeignKey
	case "40001", "40P01":
		return sqlstore.ClassRetry
	}
	return sqlstore.ClassOther
}

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit.
const maxPayload = 7000

// BeforeCommit queues the changes as notifications, which PostgreSQL
// sends when the transaction commits.
func (b *backend) BeforeCommit(ctx context.Context, tx sqlstore.Tx, changes []demarc.Change) error {
	for len(changes) > 0 {
		n := len(changes)
		var payload []byte
		for {
			var err error
			payload, err = json.Marshal(changes[:n])
			if err != nil {
				return err
			}
			if len(payload) <= maxPayload || n == 1 {
				break
			}
			n /= 2
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, b.channel, string(payload)); err != nil {
			return err
		}
		changes = changes[n:]
	}
	return nil
}

// AfterCommit has nothing to do: the listener hears this replica's own
// notifications too, in commit order with everyone else's.
func (b *backend) AfterCommit([]demarc.Change) {}

func (b *backend) Ping(ctx context.Context) error {
	conn, err := b.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer b.pool.release(conn)
	return conn.Ping(ctx)
}

func (b *backend) Close() error {
	if b.stopListen != nil {
		b.stopListen()
		b.listening.Wait()
	}
	b.pool.close()
	return nil
}

// listen connects the listener and starts its loop. It returns once
// LISTEN is in effect, so that no change committed after Open returns can
// be missed.
func (b *backend) listen(ctx context.Context) error {
	conn, err := b.listenConn(ctx)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.Background())
	b.stopListen = cancel
	b.listening.Add(1)
	go b.listenLoop(lctx, conn)
	return nil
}

func (b *backend) listenConn(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return nil, connectError(err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, connectError(err)
	}
	return conn, nil
}

// listenLoop hands notifications to the feed; when the connection fails
// it tells watchers that changes may be lost and reconnects.
func (b *backend) listenLoop(ctx context.Context, conn *pgx.Conn) {
	defer b.listening.Done()
	backoff := 100 * time.Millisecond
	for {
		if conn != nil {
			err := b.receive(ctx, conn)
			closeConn(conn)
			conn = nil
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				b.feed.Lose()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		c, err := b.listenConn(ctx)
		if err != nil {
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		conn, backoff = c, 100*time.Millisecond
		b.feed.Lose() // whatever was committed while we were away
	}
}

func (b *backend) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var changes []demarc.Change
		if err := json.Unmarshal([]byte(n.Payload), &changes); err != nil {
			b.feed.Lose() // a payload this version cannot read: refresh
			continue
		}
		b.feed.Publish(changes...)
	}
}

// pgTx is a transaction holding a pooled connection until it ends; with
// no tx it runs its one statement on the connection, outside a
// transaction.
type pgTx struct {
	tx   pgx.Tx
	conn *pgx.Conn
	pool *pool
	once sync.Once
}

// querier is what pgx.Tx and *pgx.Conn share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (t *pgTx) querier() querier {
	if t.tx != nil {
		return t.tx
	}
	return t.conn
}

func (t *pgTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.querier().Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (t *pgTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return t.querier().Query(ctx, query, args...)
}

func (t *pgTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return t.querier().QueryRow(ctx, query, args...)
}

func (t *pgTx) Commit(ctx context.Context) error {
	defer t.done()
	if t.tx == nil {
		return nil
	}
	return t.tx.Commit(ctx)
}

func (t *pgTx) Rollback(ctx context.Context) error {
	defer t.done()
	if t.tx == nil {
		return nil
	}
	if err := t.tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return err
	}
	return nil
}

func (t *pgTx) done() { t.once.Do(func() { t.pool.release(t.conn) }) }

// Schema returns the schema the store's tables live in ("" for the
// connection's default).
func (s *Store) Schema() string { return s.b.schema }

// String describes the store without its credentials.
func (s *Store) String() string {
	return fmt.Sprintf("postgres %s@%s:%d/%s schema %q", s.b.cfg.User, s.b.cfg.Host, s.b.cfg.Port, s.b.cfg.Database, s.b.schema)
}
