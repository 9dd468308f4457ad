package server

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/demarc-io/demarc"
)

// OIDCConfig configures sign-in for the web UI through an OpenID Connect
// identity provider, with the authorization-code flow, PKCE, and RS256
// ID tokens.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback as registered with the
	// provider, e.g. https://demarc.example/auth/callback.
	RedirectURL string
	// Scopes are requested besides openid; nil means email and profile.
	Scopes []string
	// HTTPClient talks to the provider; nil means a client with a
	// ten-second timeout.
	HTTPClient *http.Client
}

// clockSkew is how far the provider's clock may be from ours.
const clockSkew = 2 * time.Minute

// discovery is the part of the provider's metadata the flow needs.
type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
}

// oidcClient runs the flow against one provider. The discovery document
// and the signing keys are fetched when first needed and kept; an ID
// token signed with an unknown key makes it fetch the keys again (the
// provider rotated them), at most every few seconds.
type oidcClient struct {
	cfg  OIDCConfig
	http *http.Client
	now  func() time.Time

	mu        sync.Mutex
	disc      *discovery
	keys      map[string]*rsa.PublicKey
	keysFetch time.Time
}

func newOIDCClient(cfg OIDCConfig, now func() time.Time) (*oidcClient, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, demarc.Errorf(demarc.EInvalid, "OIDC needs an issuer, a client id and a redirect URL")
	}
	if _, err := secureURL(cfg.Issuer, cfg.Issuer); err != nil {
		return nil, demarc.Errorf(demarc.EInvalid, "OIDC issuer: %v", err)
	}
	if _, err := url.Parse(cfg.RedirectURL); err != nil {
		return nil, demarc.Errorf(demarc.EInvalid, "OIDC redirect URL: %v", err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"email", "profile"}
	}
	return &oidcClient{cfg: cfg, http: hc, now: now}, nil
}

// secureURL parses an endpoint URL and requires https, except on a
// loopback host (a provider under test or on the same machine).
func secureURL(s, issuer string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.Scheme == "https" {
		return u, nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback()) {
		return u, nil
	}
	return nil, fmt.Errorf("%q must use https", s)
}

// getJSON fetches a JSON document of at most 1 MiB.
func (o *oidcClient) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// discover returns the provider's metadata, fetched once.
func (o *oidcClient) discover(ctx context.Context) (*discovery, error) {
	o.mu.Lock()
	d := o.disc
	o.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d = &discovery{}
	u := strings.TrimSuffix(o.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	if err := o.getJSON(ctx, u, d); err != nil {
		return nil, fmt.Errorf("read the identity provider's discovery document: %w", err)
	}
	if d.Issuer != o.cfg.Issuer {
		return nil, fmt.Errorf("the discovery document names issuer %q, not the configured %q", d.Issuer, o.cfg.Issuer)
	}
	for _, e := range []string{d.AuthorizationEndpoint, d.TokenEndpoint, d.JWKSURI} {
		if _, err := secureURL(e, o.cfg.Issuer); err != nil {
			return nil, fmt.Errorf("discovery document: %w", err)
		}
	}
	if len(d.SigningAlgs) > 0 && !contains(d.SigningAlgs, "RS256") {
		return nil, fmt.Errorf("the identity provider does not sign ID tokens with RS256 (it offers %s)", strings.Join(d.SigningAlgs, ", "))
	}
	o.mu.Lock()
	o.disc = d
	o.mu.Unlock()
	return d, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// authURL is where the browser goes to sign in.
func (o *oidcClient) authURL(ctx context.Context, st *loginState) (string, error) {
	d, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(d.AuthorizationEndpoint)
	if err != nil {
		return "", err
	}
	challenge := sha256.Sum256([]byte(st.Verifier))
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", o.cfg.ClientID)
	q.Set("redirect_uri", o.cfg.RedirectURL)
	q.Set("scope", strings.Join(append([]string{"openid"}, o.cfg.Scopes...), " "))
	q.Set("state", st.State)
	q.Set("nonce", st.Nonce)
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:]))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// exchange trades an authorization code for the ID token.
func (o *oidcClient) exchange(ctx context.Context, code, verifier string) (string, error) {
	d, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {o.cfg.RedirectURL},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(o.cfg.ClientID), url.QueryEscape(o.cfg.ClientSecret))
	resp, err := o.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		IDToken     string `json:"id_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("token response (%s): %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || body.Error != "" {
		return "", fmt.Errorf("the identity provider refused the code: %s %s (%s)", body.Error, body.Description, resp.Status)
	}
	if body.IDToken == "" {
		return "", errors.New("the token response holds no id_token")
	}
	return body.IDToken, nil
}

// idClaims are the ID token's claims that sign-in uses.
type idClaims struct {
	Issuer        string    `json:"iss"`
	Subject       string    `json:"sub"`
	Audience      audience  `json:"aud"`
	AuthorizedFor string    `json:"azp"`
	Expires       numericTS `json:"exp"`
	IssuedAt      numericTS `json:"iat"`
	NotBefore     numericTS `json:"nbf"`
	Nonce         string    `json:"nonce"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
}

// audience is the aud claim: one string or an array of them.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// numericTS is a JWT NumericDate: seconds since the epoch.
type numericTS struct{ time.Time }

func (n *numericTS) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("a time claim is not a number")
	}
	n.Time = time.Unix(int64(f), 0)
	return nil
}

// verify checks an ID token: compact JWS, RS256, signed by one of the
// provider's keys, issued by the provider for this client, current, and
// carrying the nonce this login sent.
func (o *oidcClient) verify(ctx context.Context, raw, nonce string) (*idClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || !base64URL(raw) {
		return nil, errors.New("the ID token is not a signed JWT")
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, fmt.Errorf("ID token header: %w", err)
	}
	if hdr.Alg != "RS256" {
		return nil, fmt.Errorf("the ID token is signed with %q; only RS256 is accepted", hdr.Alg)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("the ID token's signature is not base64url")
	}
	key, err := o.key(ctx, hdr.Kid)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, errors.New("the ID token's signature does not verify")
	}
	var c idClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, fmt.Errorf("ID token claims: %w", err)
	}
	return &c, o.checkClaims(&c, nonce)
}

func (o *oidcClient) checkClaims(c *idClaims, nonce string) error {
	now := o.now()
	switch {
	case c.Issuer != o.cfg.Issuer:
		return fmt.Errorf("the ID token was issued by %q, not %q", c.Issuer, o.cfg.Issuer)
	case c.Subject == "":
		return errors.New("the ID token names no subject")
	case !contains(c.Audience, o.cfg.ClientID):
		return errors.New("the ID token is not meant for this client")
	case len(c.Audience) > 1 && c.AuthorizedFor != o.cfg.ClientID:
		return errors.New("the ID token has several audiences and is not authorised for this client (azp)")
	case c.Expires.IsZero() || !now.Before(c.Expires.Add(clockSkew)):
		return errors.New("the ID token has expired")
	case c.IssuedAt.IsZero() || c.IssuedAt.After(now.Add(clockSkew)):
		return errors.New("the ID token was issued in the future")
	case !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(clockSkew)):
		return errors.New("the ID token is not valid yet")
	case nonce == "" || c.Nonce != nonce:
		return errors.New("the ID token's nonce does not match this sign-in")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	data, err := b64.DecodeString(seg)
	if err != nil {
		return errors.New("not base64url")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// keyRefetch is the least time between two fetches of the signing keys.
const keyRefetch = 5 * time.Second

// key returns the signing key kid names; with no kid, the only key.
func (o *oidcClient) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	o.mu.Lock()
	k, ok := o.pick(kid)
	stale := !ok && o.now().Sub(o.keysFetch) >= keyRefetch
	o.mu.Unlock()
	if ok {
		return k, nil
	}
	if !stale {
		return nil, fmt.Errorf("the ID token is signed with an unknown key %q", kid)
	}
	keys, err := o.fetchKeys(ctx)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.keys, o.keysFetch = keys, o.now()
	if k, ok := o.pick(kid); ok {
		return k, nil
	}
	return nil, fmt.Errorf("the ID token is signed with an unknown key %q", kid)
}

func (o *oidcClient) pick(kid string) (*rsa.PublicKey, bool) {
	if kid == "" && len(o.keys) == 1 {
		for _, k := range o.keys {
			return k, true
		}
	}
	k, ok := o.keys[kid]
	return k, ok && kid != ""
}

// jwk is one key of a JSON Web Key Set; only RSA signing keys are used.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (o *oidcClient) fetchKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	d, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := o.getJSON(ctx, d.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("read the identity provider's keys: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Use != "" && k.Use != "sig" || k.Alg != "" && k.Alg != "RS256" {
			continue
		}
		pub, err := rsaKey(k)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.Kid, err)
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

func rsaKey(k jwk) (*rsa.PublicKey, error) {
	n, err := b64.DecodeString(k.N)
	if err != nil || len(n) < 256 {
		return nil, errors.New("modulus is not base64url or shorter than 2048 bits")
	}
	e, err := b64.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("exponent is not a base64url integer")
	}
	exp := 0
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("exponent is not an odd number of at least 3")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
}
