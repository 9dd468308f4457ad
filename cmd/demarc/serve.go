package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/postgres"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/sqlite"
)

func init() {
	extraCommands = append(extraCommands, (*app).serveCommand)
}

// storeFlags say which store a command opens: a SQLite file by default,
// PostgreSQL with --postgres.
type storeFlags struct {
	db, dsn, schema string
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.db, "db", "demarc.db", "SQLite database `FILE` (created if missing)")
	cmd.Flags().StringVar(&f.dsn, "postgres", "", "PostgreSQL connection string (`DSN`) instead of SQLite; also $DEMARC_POSTGRES")
	cmd.Flags().StringVar(&f.schema, "schema", "", "PostgreSQL `SCHEMA` for demarc's tables (default: the connection's)")
}

// openedStore is a store with the operator's view of it: every
// organisation, which demarc.Store does not list.
type openedStore struct {
	demarc.Store
	orgs  func(context.Context) ([]demarc.OrgID, error)
	close func() error
}

// openExisting opens the store, refusing to create a SQLite file: for
// commands that read what a server wrote.
func (f *storeFlags) openExisting(ctx context.Context) (*openedStore, error) {
	if !f.postgres() {
		if _, err := os.Stat(f.db); err != nil {
			return nil, &demarc.Error{Code: demarc.ENotFound, Message: "no database at " + f.db + " (give --db FILE, or --postgres DSN)"}
		}
	}
	return f.open(ctx)
}

func (f *storeFlags) open(ctx context.Context) (*openedStore, error) {
	dsn := f.dsn
	if dsn == "" {
		dsn = os.Getenv("DEMARC_POSTGRES")
	}
	if f.postgres() {
		st, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Schema: f.schema})
		if err != nil {
			return nil, err
		}
		return &openedStore{Store: st, orgs: allOrgs(st), close: st.Close}, nil
	}
	if f.schema != "" {
		return nil, usageError{errors.New("--schema is for PostgreSQL; give --postgres too")}
	}
	st, err := sqlite.Open(ctx, f.db)
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: st, orgs: allOrgs(st), close: st.Close}, nil
}

// allOrgs lists every organisation of st, oldest first, a page at a
// time.
func allOrgs(st demarc.OrgStore) func(context.Context) ([]demarc.OrgID, error) {
	return func(ctx context.Context) ([]demarc.OrgID, error) {
		var ids []demarc.OrgID
		page := demarc.Page{Limit: demarc.MaxPageSize}
		for {
			orgs, next, err := st.Orgs(ctx, page)
			if err != nil {
				return nil, fmt.Errorf("list organisations: %w", err)
			}
			for _, o := range orgs {
				ids = append(ids, o.ID)
			}
			if next == "" {
				return ids, nil
			}
			page.After = next
		}
	}
}

// serveFlags are serve's options.
type serveFlags struct {
	store                      storeFlags
	addr                       string
	local                      bool
	publicURL                  string
	oidcIssuer, oidcClient     string
	oidcSecret, sessionKeyFile string
	rate                       float64
	burst                      int
	logFormat                  string
	grace                      time.Duration
	boot                       server.BootstrapOptions
}

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--db demarc.db | --postgres DSN] [--local]",
		Short: "Serve the HTTP API: systems, provider statements, sign-offs and the audit trail, shared",
		Long: `Serve demarc's HTTP/JSON API (described at /openapi.json) over an embedded
SQLite file (the default: no set-up) or PostgreSQL (--postgres, for several
replicas sharing one database).

On an empty store, serve creates the first organisation and its owner and
prints the owner's API token once, on standard output; it is never shown
or logged again. Callers send it as "Authorization: Bearer <token>".

--local serves a single user without authentication, and therefore only on
127.0.0.1. Otherwise every request needs a token, or a session from OIDC
sign-in (--oidc-issuer, --oidc-client-id, $DEMARC_OIDC_CLIENT_SECRET) at
/auth/login.

Logs are structured (--log-format text or json) with a request id per
request; /healthz, /readyz and /metrics (Prometheus) serve operators.
SIGINT or SIGTERM stops accepting requests and lets those in flight finish.`,
		Example: `  demarc serve
  demarc serve --local --db team.db
  demarc serve --addr :8080 --postgres "postgres://demarc@db/demarc" --public-url https://demarc.example \
    --oidc-issuer https://login.example --oidc-client-id demarc`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), &f) },
	}
	f.store.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to listen on")
	fl.BoolVar(&f.local, "local", false, "single user, no authentication; listens on 127.0.0.1 only")
	fl.StringVar(&f.publicURL, "public-url", "", "`URL` users reach the server at (https makes cookies Secure)")
	fl.StringVar(&f.oidcIssuer, "oidc-issuer", "", "OpenID Connect issuer `URL` for web sign-in")
	fl.StringVar(&f.oidcClient, "oidc-client-id", "", "OpenID Connect client `ID`")
	fl.StringVar(&f.oidcSecret, "oidc-client-secret-file", "", "`FILE` holding the client secret (or $DEMARC_OIDC_CLIENT_SECRET)")
	fl.StringVar(&f.sessionKeyFile, "session-key-file", "", "`FILE` holding the hex session-signing key replicas share (or $DEMARC_SESSION_KEY; default random)")
	fl.Float64Var(&f.rate, "rate", server.DefaultRate.PerSecond, "requests per second allowed per token or signed-in person")
	fl.IntVar(&f.burst, "burst", server.DefaultRate.Burst, "burst allowed above --rate")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.DurationVar(&f.grace, "grace", 15*time.Second, "how long requests in flight may take to finish on shutdown")
	fl.StringVar(&f.boot.Slug, "org", "default", "`SLUG` of the organisation made on an empty store")
	fl.StringVar(&f.boot.OwnerEmail, "owner-email", "owner@localhost", "`EMAIL` of that organisation's owner")
	return cmd
}

func (a *app) serve(ctx context.Context, f *serveFlags) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if f.local {
		if err := server.LocalAddr(f.addr); err != nil {
			return usageError{err}
		}
	}
	logger, err := newLogger(a.stderr, f.logFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := f.store.open(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	boot, err := server.Bootstrap(ctx, st, st.orgs, f.boot)
	if err != nil {
		return err
	}
	if boot != nil {
		fmt.Fprintf(a.stdout, "Created organisation %q (%s) with owner %s.\nOwner API token, shown this once — keep it safe:\n\n  %s\n\n", boot.Org.Slug, boot.Org.ID, boot.Owner.Email, boot.Secret)
		if fl, ok := a.stdout.(interface{ Sync() error }); ok {
			fl.Sync() // best effort: make the token visible before the logs
		}
	}
	cfg.Store, cfg.Orgs, cfg.Logger = st, st.orgs, logger
	if !f.store.postgres() {
		cfg.WriteConcurrency = 1 // SQLite has one writer: queue in arrival order
	}
	cfg.UI = webPages(cfg)
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot listen on " + f.addr, Err: err}
	}
	logger.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("web", webAddress(f.publicURL, ln.Addr().String())),
		slog.Bool("local", f.local), slog.String("store", storeName(&f.store)))
	return srv.Serve(ctx, ln, f.grace)
}

func storeName(f *storeFlags) string {
	if f.postgres() {
		return "postgres"
	}
	return "sqlite " + f.db
}

// postgres reports whether the flags or environment choose PostgreSQL.
func (f *storeFlags) postgres() bool { return f.dsn != "" || os.Getenv("DEMARC_POSTGRES") != "" }

// config builds the server configuration from the flags and environment.
func (f *serveFlags) config() (server.Config, error) {
	cfg := server.Config{Local: f.local, PublicURL: f.publicURL, RateLimit: server.Rate{PerSecond: f.rate, Burst: f.burst}}
	if f.rate <= 0 {
		cfg.NoRateLimit = true
	}
	key, err := secret(f.sessionKeyFile, "DEMARC_SESSION_KEY")
	if err != nil {
		return cfg, err
	}
	if key != "" {
		if cfg.SessionKey, err = hex.DecodeString(key); err != nil || len(cfg.SessionKey) < 32 {
			return cfg, usageError{errors.New("the session key must be at least 64 hex digits (32 bytes); make one with: openssl rand -hex 32")}
		}
	}
	if f.oidcIssuer == "" {
		if f.oidcClient != "" {
			return cfg, usageError{errors.New("--oidc-client-id needs --oidc-issuer")}
		}
		return cfg, nil
	}
	if f.local {
		return cfg, usageError{errors.New("--local has no sign-in; drop --oidc-issuer or --local")}
	}
	if f.oidcClient == "" || f.publicURL == "" {
		return cfg, usageError{errors.New("--oidc-issuer needs --oidc-client-id and --public-url (the callback is PUBLIC-URL/auth/callback)")}
	}
	clientSecret, err := secret(f.oidcSecret, "DEMARC_OIDC_CLIENT_SECRET")
	if err != nil {
		return cfg, err
	}
	cfg.OIDC = &server.OIDCConfig{Issuer: f.oidcIssuer, ClientID: f.oidcClient, ClientSecret: clientSecret,
		RedirectURL: strings.TrimSuffix(f.publicURL, "/") + "/auth/callback"}
	return cfg, nil
}

// secret reads a secret from a file, else from an environment variable:
// never from a flag, which other users of the machine can see.
func secret(file, env string) (string, error) {
	if file == "" {
		return os.Getenv(env), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", &demarc.Error{Code: demarc.EInvalid, Message: "cannot read " + file, Err: err}
	}
	return strings.TrimSpace(string(data)), nil
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: expected text or json", format)}
}
