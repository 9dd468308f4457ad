// Package web is demarc's web UI: server-rendered pages for the people who
// meet the shared responsibility model in a browser — compliance analysts,
// auditors, CISOs. Every page is a client of the HTTP API: it calls the
// API in-process with the browser's own credentials, so the API's access
// checks, validation, versioning and audit trail apply to the UI exactly
// as to any other client, and the UI holds no data of its own.
//
// The pages work without JavaScript; a little script adds instant table
// filtering and keyboard moves on the heat map. Templates, styles and
// script are embedded, so the binary stays the only thing to install.
package web

import (
	"embed"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed templates static
var assets embed.FS

// Config says how the UI reaches the API and how it signs people in.
type Config struct {
	// API is the server's API handler, called in-process; required.
	API http.Handler
	// Local says the server runs without authentication: the sign-in page
	// is skipped.
	Local bool
	// OIDC says the server has an identity provider configured, so the
	// sign-in page offers it beside API tokens.
	OIDC bool
	// Secure marks cookies Secure (the server is reached over https).
	Secure bool
	// Logger receives errors the pages could not show; nil discards.
	Logger *slog.Logger
}

// UI serves the pages. It is an http.Handler for every path the API does
// not own.
type UI struct {
	cfg   Config
	mux   *http.ServeMux
	pages *pages
}

// New returns the UI.
func New(cfg Config) (*UI, error) {
	if cfg.API == nil {
		return nil, errorString("web: no API handler")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ps, err := parsePages()
	if err != nil {
		return nil, err
	}
	u := &UI{cfg: cfg, mux: http.NewServeMux(), pages: ps}
	u.routes()
	return u, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// ServeHTTP implements http.Handler.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w.Header(), strings.HasPrefix(r.URL.Path, "/static/"))
	if _, pattern := u.mux.Handler(r); pattern == "" {
		u.notFound(w, r)
		return
	}
	u.mux.ServeHTTP(w, r)
}

// pageHeaders replace the API's security headers, which allow nothing to
// run, with ones that allow the UI's own styles and script and nothing
// else: no inline script, no other origin, no framing.
func pageHeaders(h http.Header, static bool) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if static {
		h.Set("Cache-Control", "public, max-age=3600")
	}
}

// routes registers every page. Paths under /o/{org} act for one
// organisation, named by slug or id as in the API.
func (u *UI) routes() {
	m := u.mux
	m.Handle("GET /static/", http.FileServerFS(assets))
	m.HandleFunc("GET /{$}", u.home)
	m.HandleFunc("GET /signin", u.signinPage)
	m.HandleFunc("POST /signin", u.signin)
	m.HandleFunc("POST /signout", u.signout)
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	o := "/o/{org}"
	m.HandleFunc("GET "+o+"/{$}", u.page(u.dashboard))
	m.HandleFunc("GET "+o+"/systems/{id}/{$}", u.page(u.matrixPage))
	m.HandleFunc("GET "+o+"/systems/{id}/explain/{target}", u.page(u.explainPage))
	m.HandleFunc("GET "+o+"/systems/{id}/download/{what}", u.download)
	u.extraRoutes(m, o)
}

// extraRoutes registers the pages defined in other files of the package;
// each adds itself through pageRoutes.
func (u *UI) extraRoutes(m *http.ServeMux, o string) {
	for _, pr := range pageRoutes {
		h := pr.handle(u)
		m.HandleFunc(pr.method+" "+o+pr.path, h)
	}
}

// pageRoute is a page registered from its own file's init.
type pageRoute struct {
	method string // GET or POST
	path   string // below /o/{org}
	handle func(u *UI) http.HandlerFunc
}

var pageRoutes []pageRoute

// addPage registers a page that renders with u.page.
func addPage(path string, fn func(u *UI) pageFunc) {
	pageRoutes = append(pageRoutes, pageRoute{method: "GET", path: path, handle: func(u *UI) http.HandlerFunc { return u.page(fn(u)) }})
}

// addAction registers a form submission (POST) handler.
func addAction(path string, fn func(u *UI) actionFunc) {
	pageRoutes = append(pageRoutes, pageRoute{method: "POST", path: path, handle: func(u *UI) http.HandlerFunc { return u.action(fn(u)) }})
}
