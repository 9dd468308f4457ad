package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// view is one page being answered: who asks, for which organisation, and
// what the page shows.
type view struct {
	u *UI
	w http.ResponseWriter
	r *http.Request
	*client
	Me   *server.Me
	Org  *demarc.Org
	Role demarc.Role
	// Orgs are the caller's organisations, for the switcher.
	Orgs []demarc.Org

	Title string
	// Section names the navigation entry to mark as current.
	Section string
	// System is set on a system's pages, for the system navigation.
	System *demarc.Document
	Crumbs []crumb
	CSRF   string
	Flash  string
	Data   any
	// Table, when set, is what ?export=csv|xlsx downloads.
	Table *table

	template string
	status   int
}

// crumb is one step of the breadcrumb trail.
type crumb struct{ Label, Href string }

// pageFunc fills a view; an error is shown as an error page.
type pageFunc func(v *view) error

// actionFunc handles a form; it returns where to go next, or renders the
// form again itself and returns "".
type actionFunc func(v *view) (string, error)

// OrgBase is the UI path of the view's organisation, ending in "/".
func (v *view) OrgBase() string { return "/o/" + url.PathEscape(v.Org.Slug) + "/" }

// API is the API path of the view's organisation's resource.
func (v *view) API(parts ...string) string { return orgPath(string(v.Org.ID), parts...) }

// Local says the server runs without sign-in.
func (v *view) Local() bool { return v.u.cfg.Local }

// CanEdit says the caller's role may change documents.
func (v *view) CanEdit() bool {
	return v.Role == demarc.RoleOwner || v.Role == demarc.RoleAdmin || v.Role == demarc.RoleEditor
}

// CanAudit says the caller's role may read the audit trail.
func (v *view) CanAudit() bool {
	return v.Role == demarc.RoleOwner || v.Role == demarc.RoleAdmin || v.Role == demarc.RoleAuditor
}

// Path is the current request's path, for return addresses.
func (v *view) Path() string { return v.r.URL.RequestURI() }

// Query returns a query parameter of the request.
func (v *view) Query(name string) string { return v.r.URL.Query().Get(name) }

// open prepares a view for a request under /o/{org}: the caller's
// credentials checked by the API, the organisation found among its
// memberships. It answers the browser itself when it returns nil.
func (u *UI) open(w http.ResponseWriter, r *http.Request) *view {
	creds := credentialsOf(r)
	if creds.none() && !u.cfg.Local {
		http.Redirect(w, r, "/signin?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	c := &client{u: u, ctx: r.Context(), creds: creds}
	me := &server.Me{}
	if _, err := c.get("/api/v1/me", nil, me); err != nil {
		u.unauthorized(w, r, err)
		return nil
	}
	c.creds.apiCSRF = me.CSRFToken
	v := &view{u: u, w: w, r: r, client: c, Me: me, status: http.StatusOK}
	ref := r.PathValue("org")
	for i := range me.Memberships {
		m := &me.Memberships[i]
		v.Orgs = append(v.Orgs, m.Org)
		if string(m.Org.ID) == ref || m.Org.Slug == ref {
			v.Org, v.Role = &m.Org, m.Member.Role
		}
	}
	if v.Org == nil {
		u.fail(w, r, &apiError{Status: http.StatusNotFound, Code: demarc.ENotFound, Message: "organisation " + ref + " not found"})
		return nil
	}
	v.CSRF = u.csrfToken(w, r)
	return v
}

// page wraps a pageFunc: open the view, fill it, then render it or
// download its table.
func (u *UI) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := u.open(w, r)
		if v == nil {
			return
		}
		if err := fn(v); err != nil {
			u.fail(w, r, err)
			return
		}
		if f := r.URL.Query().Get("export"); f != "" && v.Table != nil {
			u.export(v, f)
			return
		}
		u.write(v)
	}
}

// action wraps a form handler: the form's CSRF token checked, the view
// opened, then a redirect (post/redirect/get) or the form shown again.
func (u *UI) action(fn actionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		if err := u.checkForm(r); err != nil {
			u.fail(w, r, err)
			return
		}
		v := u.open(w, r)
		if v == nil {
			return
		}
		to, err := fn(v)
		u.finish(v, to, err)
	}
}

// readForm reads a form of at most formLimit bytes, answering the browser
// itself (413) and returning false when it cannot.
func (u *UI) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	if err := parseForm(r); err != nil {
		u.fail(w, r, &apiError{Status: http.StatusRequestEntityTooLarge, Code: server.ETooLarge, Message: fmt.Sprintf("the form is too large or malformed: %v", err)})
		return false
	}
	return true
}

// finish answers a handled form: the error page, the next page
// (post/redirect/get), or the view rendered again.
func (u *UI) finish(v *view, to string, err error) {
	switch {
	case err != nil:
		u.fail(v.w, v.r, err)
	case to != "":
		http.Redirect(v.w, v.r, to, http.StatusSeeOther)
	default:
		u.write(v)
	}
}

// parseForm reads a form. ParseMultipartForm drops the error of a
// urlencoded body (it answers ErrNotMultipart instead), so that kind is
// read with ParseForm, whose error says the body was too large.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return r.ParseMultipartForm(formLimit)
	}
	return r.ParseForm()
}

// formLimit bounds a form, which may carry a whole system file.
const formLimit = 4 << 20

// write renders the view's template into the layout.
func (u *UI) write(v *view) {
	var b bytes.Buffer
	if err := u.pages.render(&b, v.template, v); err != nil {
		u.cfg.Logger.Error("cannot render page", "template", v.template, "path", v.r.URL.Path, "error", err.Error())
		http.Error(v.w, "internal error; the server log has the details", http.StatusInternalServerError)
		return
	}
	v.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	v.w.WriteHeader(v.status)
	v.w.Write(b.Bytes())
}

// fail shows an error page with the API's status and message.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		u.cfg.Logger.Error("page failed", "path", r.URL.Path, "error", err.Error())
		ae = &apiError{Status: http.StatusInternalServerError, Code: demarc.EInternal, Message: "internal error; the server log has the details"}
	}
	v := &view{u: u, w: w, r: r, Title: http.StatusText(ae.Status), template: "error", status: ae.Status, Data: ae}
	u.write(v)
}

func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	u.fail(w, r, &apiError{Status: http.StatusNotFound, Code: demarc.ENotFound, Message: "no such page: " + r.URL.Path})
}

// pages holds one template set per page, each with the layout.
type pages struct {
	sets map[string]*template.Template
}

func (p *pages) render(b *bytes.Buffer, name string, v *view) error {
	t, ok := p.sets[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	return t.ExecuteTemplate(b, "layout", v)
}

// parsePages parses templates/layout.html with each other template.
func parsePages() (*pages, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/parts/*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(assets, n)
		if err != nil {
			return nil, err
		}
		p.sets[name] = t
	}
	return p, nil
}

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"ownerClass":  ownerClass,
	"ownerLetter": ownerLetter,
	"ownerName":   ownerName,
	"pathEscape":  url.PathEscape,
	"queryEscape": url.QueryEscape,
	"join":        strings.Join,
	"add":         func(a, b int) int { return a + b },
	"pct": func(n, total int) float64 {
		if total == 0 {
			return 0
		}
		return float64(n) * 100 / float64(total)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"withQuery": withQuery,
}

// withQuery returns the request URI with one query parameter set.
func withQuery(v *view, name, value string) string {
	u := *v.r.URL
	q := u.Query()
	if value == "" {
		q.Del(name)
	} else {
		q.Set(name, value)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}
