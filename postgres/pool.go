package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pool is a small connection pool: at most max connections, idle ones
// reused, broken ones dropped. (pgxpool would do, but needs a module this
// build does not carry; the store needs nothing more than this.)
type pool struct {
	cfg   *pgx.ConnConfig
	slots chan struct{} // one token per open-or-opening connection
	idle  chan idleConn
	mu    sync.Mutex
	done  bool
}

type idleConn struct {
	conn  *pgx.Conn
	since time.Time
}

// idleCheck is how long a connection may sit idle before it is pinged
// on reuse: a server restart or a firewall may have cut it.
const idleCheck = 30 * time.Second

func newPool(cfg *pgx.ConnConfig, max int) *pool {
	return &pool{cfg: cfg, slots: make(chan struct{}, max), idle: make(chan idleConn, max)}
}

var errPoolClosed = errors.New("connection pool closed")

// acquire returns a connection, waiting while max are in use.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if p.closed() {
		<-p.slots
		return nil, errPoolClosed
	}
	for {
		select {
		case ic := <-p.idle:
			if ic.conn.IsClosed() {
				continue
			}
			if time.Since(ic.since) > idleCheck {
				if err := ic.conn.Ping(ctx); err != nil {
					closeConn(ic.conn)
					continue
				}
			}
			return ic.conn, nil
		default:
		}
		break
	}
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return conn, nil
}

// release gives a connection back; one that is broken, or still inside
// a transaction, is closed instead.
func (p *pool) release(conn *pgx.Conn) {
	defer func() { <-p.slots }()
	if conn.IsClosed() || conn.PgConn().TxStatus() != 'I' || p.closed() {
		closeConn(conn)
		return
	}
	select {
	case p.idle <- idleConn{conn, time.Now()}:
	default:
		closeConn(conn)
	}
}

func (p *pool) closed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// close closes the idle connections; connections in use are closed when
// they are released.
func (p *pool) close() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	for {
		select {
		case ic := <-p.idle:
			closeConn(ic.conn)
		default:
			return
		}
	}
}

// closeConn closes a connection whose state no longer matters; the error
// of closing a broken connection says nothing new.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := conn.Close(ctx); err != nil {
		conn.PgConn().Conn().Close()
	}
}
