package web

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// Cookies of the UI. The session cookie is the API's own (OIDC sign-in);
// the token cookie holds an API token a person signed in with; the CSRF
// cookie is the double-submit token every form carries.
const (
	sessionCookie = "demarc_session"
	tokenCookie   = "demarc_token"
	csrfCookie    = "demarc_csrf"
	csrfField     = "csrf"
)

// tokenTTL is how long a token sign-in lasts in the browser.
const tokenTTL = 12 * time.Hour

// credentials are what the browser proves itself with, forwarded to the
// API on each call.
type credentials struct {
	token   string
	session *http.Cookie
	// apiCSRF is the API's CSRF token for a session, needed on changes.
	apiCSRF string
}

func (c credentials) none() bool { return c.token == "" && c.session == nil }

// apply puts the credentials on an in-process API request.
func (c credentials) apply(r *http.Request) {
	switch {
	case c.token != "":
		r.Header.Set("Authorization", "Bearer "+c.token)
	case c.session != nil:
		r.AddCookie(c.session)
		if c.apiCSRF != "" {
			r.Header.Set(server.CSRFHeader, c.apiCSRF)
		}
	}
}

// credentialsOf reads the browser's credentials.
func credentialsOf(r *http.Request) credentials {
	var c credentials
	if k, err := r.Cookie(tokenCookie); err == nil && strings.HasPrefix(k.Value, demarc.TokenPrefix) {
		c.token = k.Value
	}
	if k, err := r.Cookie(sessionCookie); err == nil && k.Value != "" {
		c.session = &http.Cookie{Name: sessionCookie, Value: k.Value}
	}
	return c
}

// csrfToken returns the browser's form token, setting the cookie when
// there is none yet.
func (u *UI) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if k, err := r.Cookie(csrfCookie); err == nil && len(k.Value) >= 26 { // rand.Text gives 26 characters
		return k.Value
	}
	v := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: u.cfg.Secure, SameSite: http.SameSiteStrictMode})
	return v
}

// checkForm guards a form submission: the form's token must equal the
// cookie's (another site can set neither), and a browser that says where
// the form came from must say this server.
func (u *UI) checkForm(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		p, err := url.Parse(o)
		if err != nil || p.Host != r.Host {
			return &apiError{Status: http.StatusForbidden, Code: server.EForbidden, Message: "the form was sent from another site (Origin " + o + ")"}
		}
	}
	k, err := r.Cookie(csrfCookie)
	got := r.PostFormValue(csrfField)
	if err != nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(k.Value)) != 1 {
		return &apiError{Status: http.StatusForbidden, Code: server.EForbidden, Message: "the form has expired; reload the page and send it again"}
	}
	return nil
}

// signinPage offers the identity provider (when configured) and API
// token sign-in.
func (u *UI) signinPage(w http.ResponseWriter, r *http.Request) {
	if u.cfg.Local {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	u.renderSignin(w, r, http.StatusOK, "")
}

type signinData struct {
	OIDC   bool
	Return string
	// Org is the organisation whose invitation a first sign-in accepts.
	Org   string
	Error string
}

func (u *UI) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := &view{u: u, w: w, r: r, Title: "Sign in", template: "signin", status: status}
	v.CSRF = u.csrfToken(w, r)
	v.Data = signinData{OIDC: u.cfg.OIDC, Return: localPath(r.FormValue("return")), Org: r.FormValue("org"), Error: msg}
	u.write(v)
}

// signin checks an API token against the API and keeps it in an
// HttpOnly, same-site cookie.
func (u *UI) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := u.checkForm(r); err != nil {
		u.renderSignin(w, r, http.StatusForbidden, err.Error())
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		u.renderSignin(w, r, http.StatusUnprocessableEntity, "Enter an API token (it starts with "+demarc.TokenPrefix+").")
		return
	}
	c := &client{u: u, ctx: r.Context(), creds: credentials{token: token}}
	var me server.Me
	if _, err := c.get("/api/v1/me", nil, &me); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			u.renderSignin(w, r, http.StatusUnauthorized, "That token is not valid: unknown, revoked or expired.")
			return
		}
		u.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: token, Path: "/", HttpOnly: true, Secure: u.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(tokenTTL / time.Second)})
	to := localPath(r.PostFormValue("return"))
	if to == "" && len(me.Memberships) > 0 {
		to = "/o/" + me.Memberships[0].Org.Slug + "/"
	}
	if to == "" {
		to = "/"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// signout ends the browser's sign-in. A session (identity-provider
// sign-in) is ended on the server through the API's logout, so that a
// copy of its cookie is refused too; with everywhere=true every session
// of the person ends, on every browser. A token sign-in only forgets the
// token here: the token itself stays valid until it is revoked. When the
// server cannot record the sign-out, the page says so and the cookies
// stay, so that no one believes they are signed out when they are not.
func (u *UI) signout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := u.checkForm(r); err != nil {
		u.fail(w, r, err)
		return
	}
	everywhere := r.PostFormValue("everywhere") == "true"
	creds := credentialsOf(r)
	if everywhere && creds.session == nil {
		u.fail(w, r, &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest,
			Message: "signing out everywhere ends identity-provider sessions, and this browser signed in with an API token; sign out here, and revoke the token under Settings if it must stop working"})
		return
	}
	if creds.session != nil {
		if err := u.endSession(r, creds.session, everywhere); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	for _, name := range []string{tokenCookie, sessionCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: u.cfg.Secure, MaxAge: -1})
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// endSession calls the API's logout with the session cookie and the
// session's CSRF token. A session the API no longer accepts (expired,
// already signed out) has no CSRF token to give; the logout is sent
// anyway, and the API answers it as for any session that is not live.
func (u *UI) endSession(r *http.Request, session *http.Cookie, everywhere bool) error {
	c := &client{u: u, ctx: r.Context(), creds: credentials{session: session}}
	var me server.Me
	if _, err := c.get("/api/v1/me", nil, &me); err != nil && !isUnauthorized(err) {
		return err
	}
	c.creds.apiCSRF = me.CSRFToken
	q := url.Values{}
	if everywhere {
		q.Set("everywhere", "true")
	}
	_, err := c.call(http.MethodPost, "/auth/logout", q, nil, "", nil)
	return err
}

// isUnauthorized reports whether err is the API refusing the credentials.
func isUnauthorized(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
}

// localPath accepts only a path on this server, so that a return
// address cannot send the browser elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return ""
	}
	return p
}

// home sends the browser to its first organisation, or to sign in.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	creds := credentialsOf(r)
	if creds.none() && !u.cfg.Local {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	c := &client{u: u, ctx: r.Context(), creds: creds}
	var me server.Me
	if _, err := c.get("/api/v1/me", nil, &me); err != nil {
		u.unauthorized(w, r, err)
		return
	}
	if len(me.Memberships) == 0 {
		u.fail(w, r, &apiError{Status: http.StatusNotFound, Code: demarc.ENotFound, Message: "you are not a member of any organisation yet; ask an administrator to add you"})
		return
	}
	http.Redirect(w, r, "/o/"+me.Memberships[0].Org.Slug+"/", http.StatusSeeOther)
}

// unauthorized sends a browser whose credentials failed to sign in, and
// shows any other error.
func (u *UI) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: "", Path: "/", HttpOnly: true, Secure: u.cfg.Secure, MaxAge: -1})
		http.Redirect(w, r, "/signin?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	u.fail(w, r, err)
}
