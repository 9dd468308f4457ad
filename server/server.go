// Package server is demarc's HTTP/JSON API: the shared place where a
// provider, its customers and their auditors keep systems, provider
// statements, sign-offs and the audit trail, served over a demarc.Store.
//
// Every route is declared once, in the route table (routes.go), with the
// roles that may call it; the table drives the router (net/http's
// ServeMux), the access checks, the query-parameter checks and the OpenAPI
// document served at /openapi.json, so that none of them can drift from
// the others.
//
// Organisations are tenants. API paths name the organisation
// (/api/v1/orgs/{org}/…, by id or slug); a caller acts for it only as one
// of its members, and an organisation the caller does not belong to is
// answered exactly like one that does not exist (404). Callers prove who
// they are with an API token (Authorization: Bearer dmc_…), or with a
// session cookie from OIDC sign-in (/auth/login), which must send the
// session's CSRF token with every change. A --local server has one user
// and no authentication, and listens on 127.0.0.1 only.
//
// Reads carry an ETag; every update and delete must send it back in
// If-Match (428 without, 412 when stale), so that no editor overwrites
// another's change unseen. Errors are {"error": {"code", "message"}} with
// one table from code to status. Analysis answers (matrices, gaps …) are
// cached by the content they were computed from; the store's change feed
// drops what changed, on every replica.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
)

// Config configures a Server.
type Config struct {
	// Store keeps everything; required.
	Store demarc.Store
	// Orgs lists every organisation, for the user of a --local server,
	// who acts as the first owner of each; nil lists none. (demarc.Store
	// has no such method: a listing is an operator's view.)
	Orgs func(context.Context) ([]demarc.OrgID, error)
	// Logger receives the access log and internal errors; nil discards.
	Logger *slog.Logger
	// Local runs without authentication: every request acts as the first
	// owner of the organisation it names. Serve refuses to listen on
	// anything but 127.0.0.1 then.
	Local bool
	// OIDC enables sign-in for the web UI; nil disables it.
	OIDC *OIDCConfig
	// SessionKey signs session cookies; replicas behind one address must
	// share it. Nil means a random key: sessions end with the process.
	SessionKey []byte
	// PublicURL is where users reach the server, e.g.
	// https://demarc.example. An https URL makes cookies Secure and adds
	// Strict-Transport-Security; its origin is the only one allowed to
	// change things with a session cookie.
	PublicURL string
	// RateLimit limits each API token and each signed-in person; the zero
	// value means DefaultRate.
	RateLimit Rate
	// NoRateLimit turns rate limiting off (benchmarks, --local).
	NoRateLimit bool
	// WriteConcurrency bounds the requests that change something and run
	// at once; 0 means no bound. A store with one writer (SQLite) should
	// have 1: the requests then queue in arrival order here instead of
	// racing for the store's single connection, where the unlucky can
	// wait for seconds.
	WriteConcurrency int
	// MaxBody bounds request bodies other than documents; 0 means
	// DefaultMaxBody. Documents may be up to demarc.MaxDocumentSize.
	MaxBody int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// UI makes the handler of every path outside the API (/api/, /auth/
	// and the operations endpoints): the web pages, which call the API
	// they are given in-process. Nil answers those paths with 404.
	UI func(api http.Handler) (http.Handler, error)
}

// Defaults.
const (
	DefaultMaxBody = 64 << 10
	// SessionTTL is how long a sign-in lasts.
	SessionTTL = 12 * time.Hour
)

// DefaultRate is the limit per token or person unless configured.
var DefaultRate = Rate{PerSecond: 50, Burst: 100}

// failedAuthRate limits requests with bad credentials per client address.
var failedAuthRate = Rate{PerSecond: 2, Burst: 20}

// Server serves the API. Create it with New; it is an http.Handler.
type Server struct {
	cfg        Config
	store      demarc.Store
	base       *library.Library // the built-in library
	baseEngine *resolve.Engine  // over base, shared by every organisation without statements of its own
	log        *slog.Logger
	now        func() time.Time
	mux        *http.ServeMux
	handler    http.Handler
	routes     []*route
	metrics    *metrics
	limits     *limiter
	failures   *limiter
	auth       *authCache
	sessions   *sessions
	oidc       *oidcClient
	secure     bool
	views      *views
	openapi    []byte
	ui         http.Handler // the web pages, or nil
	// writes admits changing requests in arrival order (goroutines
	// blocked on a channel are served first in, first out); nil when
	// unbounded.
	writes chan struct{}

	stopWatch context.CancelFunc
	watching  sync.WaitGroup
	watchOK   chan struct{} // closed once the change feed is running
}

// New checks cfg and returns a server. Close it to stop following the
// store's changes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	base, err := library.Builtin()
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.RateLimit.PerSecond <= 0 {
		cfg.RateLimit = DefaultRate
	}
	if len(cfg.SessionKey) == 0 {
		cfg.SessionKey = make([]byte, 32)
		rand.Read(cfg.SessionKey) // never fails: crypto/rand.Read panics rather than return an error
	}
	if len(cfg.SessionKey) < 32 {
		return nil, demarc.Errorf(demarc.EInvalid, "the session key must be at least 32 bytes")
	}
	s := &Server{cfg: cfg, store: cfg.Store, base: base, baseEngine: resolve.New(base), log: cfg.Logger, now: cfg.Now, metrics: newMetrics(),
		auth: newAuthCache(30 * time.Second), watchOK: make(chan struct{})}
	s.secure = strings.HasPrefix(cfg.PublicURL, "https://")
	s.sessions = &sessions{key: cfg.SessionKey, secure: s.secure, ttl: SessionTTL, now: cfg.Now, origin: origin(cfg.PublicURL)}
	if !cfg.Local && !cfg.NoRateLimit {
		s.limits = newLimiter(cfg.RateLimit, cfg.Now)
		s.failures = newLimiter(failedAuthRate, cfg.Now)
	}
	if cfg.OIDC != nil {
		o, err := newOIDCClient(*cfg.OIDC, cfg.Now)
		if err != nil {
			return nil, err
		}
		s.oidc = o
	}
	if cfg.WriteConcurrency > 0 {
		s.writes = make(chan struct{}, cfg.WriteConcurrency)
	}
	s.views = newViews(s)
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
	}
	doc, err := s.openAPIDocument()
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	if cfg.UI != nil {
		if s.ui, err = cfg.UI(s); err != nil {
			return nil, err
		}
	}
	s.handler = s.outer(http.HandlerFunc(s.dispatch))
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWatch = cancel
	s.watching.Add(1)
	go s.follow(ctx)
	return s, nil
}

// origin returns the scheme and host of a URL, or "".
func origin(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// dispatch routes a request, answering paths and methods the table does
// not have with a JSON error like every other.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if s.ui != nil && !apiSpace(r.URL.Path) {
		s.ui.ServeHTTP(w, r)
		return
	}
	if allow := s.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, errorf(EMethodNotAllowed, "%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	s.writeError(w, r, demarc.Errorf(demarc.ENotFound, "no such path: %s (see /openapi.json)", r.URL.Path))
}

// apiSpace says whether a path belongs to the API, whose unknown paths
// answer with a JSON error rather than a page.
func apiSpace(p string) bool {
	return strings.HasPrefix(p, apiPath+"/") || p == apiPath || strings.HasPrefix(p, "/auth/")
}

// allowedMethods lists the methods the router has for r's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// Close stops following the store's changes. It does not close the
// store.
func (s *Server) Close() error {
	s.stopWatch()
	s.watching.Wait()
	return nil
}

// follow keeps the caches in step with the store: every change, from this
// replica or another, drops what it touched; a possible gap in the
// notifications drops everything.
func (s *Server) follow(ctx context.Context) {
	defer s.watching.Done()
	started := false
	for ctx.Err() == nil {
		changes := s.store.Watch(ctx)
		if !started {
			close(s.watchOK)
			started = true
		}
		for ch := range changes {
			s.metrics.changes.Add(1)
			if ch.Lost {
				s.metrics.lost.Add(1)
			}
			s.forget(ch)
		}
		if ctx.Err() != nil {
			return
		}
		// The feed closed under us (the store closed, or lost its
		// notifier): nothing cached can be trusted.
		s.forget(demarc.Change{Lost: true})
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// forget drops what a change makes stale.
func (s *Server) forget(ch demarc.Change) {
	if ch.Lost {
		s.auth.forget("")
		s.views.forget("")
		return
	}
	s.auth.forget(ch.Org)
	s.views.forget(ch.Org)
	if strings.HasPrefix(string(ch.Action), "publication.") || strings.HasPrefix(string(ch.Action), "org.") {
		// Publications are read by every organisation, and names of
		// organisations appear in them.
		s.views.forget("")
	}
}

// Serve answers requests on ln until ctx ends, then shuts down
// gracefully: it stops accepting, lets requests in flight finish for up
// to grace, and returns. A --local server refuses any address but
// 127.0.0.1.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	if s.cfg.Local {
		if err := LocalAddr(ln.Addr().String()); err != nil {
			return err
		}
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", slog.Duration("grace", grace))
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && serr != nil {
		err = errors.Join(err, serr)
	}
	return err
}

// LocalAddr checks that addr (host:port) is on 127.0.0.1, the only
// address a server without authentication may listen on.
func LocalAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return demarc.Errorf(demarc.EInvalid, "address %q: %v", addr, err)
	}
	if host != "127.0.0.1" {
		return demarc.Errorf(demarc.EInvalid, "--local serves without authentication, so it listens on 127.0.0.1 only, not %q; drop --local to serve others with tokens or sign-in", host)
	}
	return nil
}

// healthz says the process is up.
func (s *Server) healthz(c *call) (*reply, error) {
	return ok(map[string]string{"status": "ok"}), nil
}

// readyz says whether the server can serve: the store answers and the
// change feed that keeps the caches right is running.
func (s *Server) readyz(c *call) (*reply, error) {
	ctx, cancel := context.WithTimeout(c.r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return nil, &demarc.Error{Code: EUnavailable, Message: "the store does not answer", Err: err}
	}
	select {
	case <-s.watchOK:
	default:
		return nil, errorf(EUnavailable, "the change feed is not running yet")
	}
	return ok(map[string]string{"status": "ready"}), nil
}
