package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/browsertest"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/sqlite"
	"github.com/demarc-io/demarc/web"
)

// site is a real server with the UI over a SQLite store in a temporary
// directory: organisation acme with one member per role, each with a
// token, and organisation rival with an owner.
type site struct {
	t        testing.TB
	url      string
	store    demarc.Store
	org      *demarc.Org
	tokens   map[demarc.Role]string
	rival    string // rival owner's token
	rivalOrg *demarc.Org
	// handler is the server itself, for calls without the network.
	handler http.Handler
}

// newSite starts the server; local runs it without sign-in.
func newSite(t testing.TB, local bool) *site {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "demarc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newSiteOn(t, local, st)
}

// newSiteOn starts the server over a store of the caller's.
func newSiteOn(t testing.TB, local bool, st demarc.Store) *site {
	t.Helper()
	ctx := context.Background()
	var err error
	s := &site{t: t, store: st, tokens: map[demarc.Role]string{}}
	var owner *demarc.Member
	s.org, owner, err = st.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "acme", Name: "Acme Retail"},
		demarc.MemberInput{Email: "owner@acme.test", Name: "Olive Owner", Role: demarc.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	s.tokens[demarc.RoleOwner] = s.token(s.org.ID, owner.ID)
	for _, r := range []demarc.Role{demarc.RoleAdmin, demarc.RoleEditor, demarc.RoleViewer, demarc.RoleAuditor} {
		m, err := st.AddMember(ctx, demarc.Actor{Member: owner.ID}, s.org.ID, demarc.MemberInput{Email: string(r) + "@acme.test", Name: string(r), Role: r})
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[r] = s.token(s.org.ID, m.ID)
	}
	rival, rowner, err := st.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "rival", Name: "Rival Corp"},
		demarc.MemberInput{Email: "owner@rival.test", Name: "Rita Rival", Role: demarc.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	s.rivalOrg, s.rival = rival, s.token(rival.ID, rowner.ID)
	orgs := func(ctx context.Context) ([]demarc.OrgID, error) { return []demarc.OrgID{s.org.ID, rival.ID}, nil }
	srv, err := server.New(server.Config{Store: st, Orgs: orgs, Local: local, NoRateLimit: true,
		UI: func(api http.Handler) (http.Handler, error) { return web.New(web.Config{API: api, Local: local}) }})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	s.url, s.handler = hs.URL, srv
	return s
}

func (s *site) token(org demarc.OrgID, m demarc.MemberID) string {
	secret, hash, hint, err := demarc.NewToken()
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.store.CreateToken(context.Background(), demarc.Actor{Member: m}, org, demarc.TokenInput{Member: m, Name: "test", Hash: hash, Hint: hint}); err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// putSystem stores a system file of the repository's examples in acme
// through the API and returns its document id.
func (s *site) putSystem(name, file string) string {
	s.t.Helper()
	content, err := os.ReadFile(filepath.Join("..", "examples", file))
	if err != nil {
		s.t.Fatal(err)
	}
	var refs struct {
		Files []string `yaml:"attestation_files"`
	}
	if err := yaml.Unmarshal(content, &refs); err != nil {
		s.t.Fatal(err)
	}
	for _, f := range refs.Files {
		reg, err := os.ReadFile(filepath.Join("..", "examples", f))
		if err != nil {
			s.t.Fatal(err)
		}
		var existing server.DocumentView
		s.api("POST", "/api/v1/orgs/acme/attestations", s.tokens[demarc.RoleOwner], server.DocumentRequest{Name: f, Content: string(reg)}, &existing, 0)
	}
	var doc server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleOwner], server.DocumentRequest{Name: name, Content: string(content)}, &doc, http.StatusCreated)
	return string(doc.ID)
}

// api calls the JSON API with a token and checks the status.
func (s *site) api(method, path, token string, in, out any, want int) {
	s.t.Helper()
	s.apiMatch(method, path, token, "", in, out, want)
}

// apiMatch is api with an If-Match header, when etag is not empty.
func (s *site) apiMatch(method, path, token, etag string, in, out any, want int) {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	r, _ := http.NewRequest(method, s.url+path, body)
	r.Header.Set("Authorization", "Bearer "+token)
	if in != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if etag != "" {
		r.Header.Set("If-Match", etag)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if want == 0 && (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusConflict) {
		return // created now or by an earlier call
	}
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// browserClient is an HTTP client with a cookie jar, signed in with the
// token of role (or not signed in when role is empty), that does not
// follow redirects.
func (s *site) browserClient(role demarc.Role) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if role == "" {
		return c
	}
	csrf := s.csrf(c)
	resp, err := c.PostForm(s.url+"/signin", url.Values{"csrf": {csrf}, "token": {s.tokens[role]}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: %d", role, resp.StatusCode)
	}
	return c
}

// csrf loads the sign-in page to get the form token cookie.
func (s *site) csrf(c *http.Client) string {
	s.t.Helper()
	resp, err := c.Get(s.url + "/signin")
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(s.url)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == "demarc_csrf" {
			return k.Value
		}
	}
	s.t.Fatal("no CSRF cookie after loading the sign-in page")
	return ""
}

// page GETs a UI path and returns status and body.
func page(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// browser is a headless Chromium tab with its console watched.
type browser struct {
	t        *testing.T
	ctx      context.Context
	problems func() []string
	shots    int
}

// newBrowser starts headless Chromium, skipping the test when there is
// none unless DEMARC_REQUIRE_BROWSER is set (as in CI).
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	ctx := browsertest.Start(t, width, height, 90*time.Second)
	// Chromium's window is at least 500 px wide; narrower screens (phones)
	// are emulated.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, problems: browsertest.ConsoleProblems(ctx)}
}

// do runs actions, failing the test on error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// text returns the text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// shot saves a full-page screenshot under testdata/screenshots/TEST.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG rather than JPEG
	if err != nil {                                               // a page taller than the browser can paint at once: keep the viewport
		png, err = chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		b.t.Fatal(err)
	}
	dir := filepath.Join("testdata", "screenshots", b.t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.shots++
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// clean fails the test when the page logged errors or warnings.
func (b *browser) clean() {
	b.t.Helper()
	if p := b.problems(); len(p) > 0 {
		b.t.Errorf("console problems: %s", strings.Join(p, "\n"))
	}
}

// deleteDoc deletes a document through the API at its current version.
func (s *site) deleteDoc(path, token string) {
	s.t.Helper()
	get, _ := http.NewRequest("GET", s.url+path, nil)
	get.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(get)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	del, _ := http.NewRequest("DELETE", s.url+path, nil)
	del.Header.Set("Authorization", "Bearer "+token)
	del.Header.Set("If-Match", resp.Header.Get("ETag"))
	resp, err = http.DefaultClient.Do(del)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		s.t.Fatalf("DELETE %s: %d", path, resp.StatusCode)
	}
}
