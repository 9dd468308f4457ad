package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookie names.
const (
	sessionCookie = "demarc_session"
	loginCookie   = "demarc_login"
	// CSRFHeader carries a cookie session's CSRF token on every request
	// that changes something.
	CSRFHeader = "X-CSRF-Token"
)

// session is a person signed in through OIDC. It lives in a signed
// cookie, not in the store, so that every replica that shares the key
// accepts it; what the person may do is looked up on each request from
// their memberships, so removing a member takes effect at once. Signing
// out is the one thing the cookie cannot carry: the store records the
// session's ID as revoked, or a cut-off for every session of the subject
// issued before a time, and each request asks the store.
type session struct {
	ID      string    `json:"id"`
	Subject string    `json:"sub"`
	Email   string    `json:"email,omitempty"`
	Name    string    `json:"name,omitempty"`
	CSRF    string    `json:"csrf"`
	Issued  time.Time `json:"iat"`
	Expires time.Time `json:"exp"`
}

// loginState is what the server remembers between sending a browser to
// the identity provider and its return: in a signed, short-lived cookie.
type loginState struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Return   string    `json:"return"`
	Org      string    `json:"org,omitempty"`
	Expires  time.Time `json:"exp"`
}

// sessions signs and reads the cookies.
type sessions struct {
	key    []byte
	secure bool
	ttl    time.Duration
	now    func() time.Time
	// origin is the server's public origin, e.g. https://demarc.example,
	// against which the Origin header of state-changing requests is
	// checked; empty accepts the request's own Host.
	origin string

	purgeMu sync.Mutex
	purged  time.Time // when this replica last purged expired sign-outs
}

// purgeInterval is how often, at most, a replica purges the records of
// sign-outs whose sessions have expired anyway. Purging runs after a
// sign-out, so a server nobody signs out of keeps its few rows.
const purgeInterval = 10 * time.Minute

// purgeDue reports whether it is time to purge, and if so notes that
// purging starts now.
func (s *sessions) purgeDue(now time.Time) bool {
	s.purgeMu.Lock()
	defer s.purgeMu.Unlock()
	if !s.purged.IsZero() && now.Sub(s.purged) < purgeInterval && !now.Before(s.purged) {
		return false
	}
	s.purged = now
	return true
}

// seal signs v into a cookie value: base64(JSON) "." base64(HMAC).
func (s *sessions) seal(purpose string, v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(data)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(purpose, body)), nil
}

// open checks a cookie value's signature and decodes it into v.
func (s *sessions) open(purpose, value string, v any) bool {
	body, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > 8192 || !base64URL(value) {
		return false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(purpose, body)) {
		return false
	}
	data, err := b64.DecodeString(body)
	if err != nil {
		return false
	}
	return json.Unmarshal(data, v) == nil
}

// mac binds a signature to its purpose, so that a login cookie can never
// pass as a session.
func (s *sessions) mac(purpose, body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(body))
	return m.Sum(nil)
}

// read returns the request's session: nil, nil when it has none, and an
// EUnauthorized error when it has expired or been tampered with. A cookie
// sealed before sessions had IDs cannot be signed out, so it is refused
// too. Whether the session was signed out is for the caller to ask the
// store.
func (s *sessions) read(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	var sess session
	if !s.open("session", c.Value, &sess) || sess.Subject == "" || sess.ID == "" || !s.now().Before(sess.Expires) {
		return nil, errorf(EUnauthorized, "the session has expired or is not valid; sign in again at /auth/login")
	}
	return &sess, nil
}

// start sets the session cookie for a person who has just signed in.
func (s *sessions) start(w http.ResponseWriter, subject, email, name string) error {
	now := s.now()
	sess := session{ID: randomString(), Subject: subject, Email: email, Name: name, CSRF: randomString(), Issued: now, Expires: now.Add(s.ttl)}
	v, err := s.seal("session", sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, Expires: sess.Expires})
	return nil
}

// end clears the session cookie in the browser. It does not end the
// session: a copy of the cookie stays valid until the store records it
// signed out.
func (s *sessions) end(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// checkCSRF guards a state-changing request made with a session cookie:
// it must carry the session's CSRF token in X-CSRF-Token, which another
// site cannot read, and, when the browser says where it comes from, come
// from this server's origin.
func (s *sessions) checkCSRF(r *http.Request, sess *session) error {
	if o := r.Header.Get("Origin"); o != "" && !s.sameOrigin(r, o) {
		return errorf(EForbidden, "cross-origin request refused (Origin %s)", o)
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
		return errorf(EForbidden, "a change made with a session cookie needs the %s header from GET /api/v1/me", CSRFHeader)
	}
	return nil
}

func (s *sessions) sameOrigin(r *http.Request, origin string) bool {
	if s.origin != "" {
		return origin == s.origin
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// randomString returns 256 random bits, URL-safe.
func randomString() string {
	var b [32]byte
	rand.Read(b[:]) // never fails: crypto/rand.Read panics rather than return an error
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// b64 decodes base64url without padding strictly: one encoding per value,
// so that a signed value cannot be re-spelt and still pass.
var b64 = base64.RawURLEncoding.Strict()

// base64URL reports whether s holds only base64url characters and dots:
// the decoder skips line breaks, which would let a value be re-spelt.
func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
