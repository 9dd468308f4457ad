package oidctest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// noRedirect is a client that shows each redirect instead of following it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authorize(t *testing.T, p *Provider, challenge string) *http.Response {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID}, "redirect_uri": {"http://127.0.0.1/cb"}, "state": {"s"}, "nonce": {"n"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	res, err := noRedirect.Get(p.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func exchange(t *testing.T, p *Provider, code, verifier, secret string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1/cb"}, "code_verifier": {verifier}}
	r, _ := http.NewRequest("POST", p.URL+"/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(p.ClientID, secret)
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// The provider runs the flow as a real one does: PKCE is required and
// checked, codes are good once, the client must authenticate, and the ID
// token carries the user, the nonce and the current key's id.
func TestFlow(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var disc map[string]any
	res, err := http.Get(p.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&disc)
	res.Body.Close()
	if disc["issuer"] != p.URL || disc["jwks_uri"] != p.URL+"/jwks" {
		t.Fatalf("discovery: %v", disc)
	}
	if res := authorize(t, p, ""); res.StatusCode != 400 {
		t.Fatalf("without PKCE: %d", res.StatusCode)
	}
	p.SetUser(nil)
	if loc := authorize(t, p, "x").Header.Get("Location"); !strings.Contains(loc, "error=access_denied") {
		t.Fatalf("no user: %s", loc)
	}
	p.SetUser(&User{Subject: "alice", Email: "alice@example.com", EmailVerified: true})
	verifier := "a-verifier-of-enough-length-for-pkce-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	loc, err := url.Parse(authorize(t, p, base64.RawURLEncoding.EncodeToString(sum[:])).Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if loc.Query().Get("state") != "s" || code == "" {
		t.Fatalf("redirect: %s", loc)
	}
	if status, _ := exchange(t, p, code, verifier, "wrong"); status != 401 {
		t.Fatalf("wrong client secret: %d", status)
	}
	if status, body := exchange(t, p, code, verifier, p.ClientSecret); status != 200 || body["id_token"] == nil {
		t.Fatalf("exchange: %d %v", status, body)
	} else {
		parts := strings.Split(body["id_token"].(string), ".")
		var hdr, claims map[string]any
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		c, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(h, &hdr)
		json.Unmarshal(c, &claims)
		if hdr["kid"] != "key-1" || claims["sub"] != "alice" || claims["nonce"] != "n" || claims["aud"] != p.ClientID {
			t.Fatalf("token: %v %v", hdr, claims)
		}
	}
	if status, _ := exchange(t, p, code, verifier, p.ClientSecret); status != 400 {
		t.Fatalf("a code used twice: %d", status)
	}
	loc, _ = url.Parse(authorize(t, p, base64.RawURLEncoding.EncodeToString(sum[:])).Header.Get("Location"))
	if status, body := exchange(t, p, loc.Query().Get("code"), "another verifier", p.ClientSecret); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", status, body)
	}
	if err := p.Rotate(); err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	res, _ = http.Get(p.URL + "/jwks")
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	if len(set.Keys) != 2 || set.Keys[0]["kid"] != "key-2" {
		t.Fatalf("keys after rotation: %v", set.Keys)
	}
}
