// Package oidctest is a small OpenID Connect provider that runs in the
// test process, for testing sign-in without a network: discovery, the
// authorization-code flow with PKCE, RS256 ID tokens, a JSON Web Key Set,
// and key rotation. It approves every authorization request as the user
// set with SetUser, and lets a test tamper with the next ID token to prove
// that a client refuses it.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// User is who signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Provider is a running identity provider. Its issuer is URL.
type Provider struct {
	URL          string
	ClientID     string
	ClientSecret string

	srv *httptest.Server

	mu     sync.Mutex
	keys   []signingKey // the first signs; all are published
	user   *User
	codes  map[string]grant
	tamper func(header, claims map[string]any)
	now    func() time.Time
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// grant is an issued authorization code.
type grant struct {
	user      User
	clientID  string
	redirect  string
	nonce     string
	challenge string
	expires   time.Time
}

// New starts a provider with one 2048-bit signing key and a client
// "demarc-test" with a random secret. Close it when done.
func New() (*Provider, error) {
	p := &Provider{ClientID: "demarc-test", ClientSecret: randomString(), codes: map[string]grant{}, now: time.Now}
	if err := p.Rotate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() { p.srv.Close() }

// SetUser makes every later authorization request sign in as u; nil makes
// the provider refuse them (access_denied).
func (p *Provider) SetUser(u *User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Tamper changes the header and claims of the next ID token before it is
// signed; the token is still signed with the current key unless the
// header's kid is changed.
func (p *Provider) Tamper(f func(header, claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = f
}

// Rotate makes a new signing key the current one. The old keys stay
// published, as providers keep them while tokens signed with them live.
func (p *Provider) Rotate() error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append([]signingKey{{kid: fmt.Sprintf("key-%d", len(p.keys)+1), key: k}}, p.keys...)
	return nil
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
	})
}

// authorize approves the request at once as the current user and sends
// the browser back with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" || q.Get("client_id") != p.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	p.mu.Lock()
	user := p.user
	if user == nil {
		back.Set("error", "access_denied")
	} else {
		code := randomString()
		p.codes[code] = grant{user: *user, clientID: q.Get("client_id"), redirect: q.Get("redirect_uri"), nonce: q.Get("nonce"),
			challenge: q.Get("code_challenge"), expires: p.now().Add(time.Minute)}
		back.Set("code", code)
	}
	p.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token trades a code for an ID token: the client must authenticate,
// the code is good once, and the PKCE verifier must match.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if !ok || id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	p.mu.Lock()
	code := r.PostForm.Get("code")
	g, found := p.codes[code]
	delete(p.codes, code)
	p.mu.Unlock()
	verifier := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !found || p.now().After(g.expires) || g.clientID != id || g.redirect != r.PostForm.Get("redirect_uri"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	case base64.RawURLEncoding.EncodeToString(verifier[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE verifier does not match"})
		return
	}
	now := p.now()
	claims := map[string]any{"iss": p.URL, "sub": g.user.Subject, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce, "email": g.user.Email, "email_verified": g.user.EmailVerified, "name": g.user.Name}
	idToken, err := p.sign(claims)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

// sign makes a compact RS256 JWS of claims with the current key, after
// applying and clearing any tampering.
func (p *Provider) sign(claims map[string]any) (string, error) {
	p.mu.Lock()
	k := p.keys[0]
	tamper := p.tamper
	p.tamper = nil
	p.mu.Unlock()
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.kid}
	if tamper != nil {
		tamper(header, claims)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keys []map[string]string
	for _, k := range p.keys {
		pub := k.key.PublicKey
		keys = append(keys, map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid,
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a failed write means the client has gone
}

func randomString() string {
	var b [24]byte
	rand.Read(b[:]) // never fails: crypto/rand.Read panics rather than return an error
	return base64.RawURLEncoding.EncodeToString(b[:])
}
