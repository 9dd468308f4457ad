package web_test

import (
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// secretOnPage reads a new token's secret from the page that answers its
// creation.
func secretOnPage(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`id="token-secret"[^>]*value="(` + demarc.TokenPrefix + `[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", body)
	}
	return m[1]
}

// meWith calls /api/v1/me with a token and returns the status.
func meWith(t *testing.T, s *site, token string) (int, server.Me) {
	t.Helper()
	r, _ := http.NewRequest("GET", s.url+"/api/v1/me", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me server.Me
	if resp.StatusCode == http.StatusOK {
		if err := jsonDecode(resp, &me); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, me
}

// A member makes a token: its secret is on the answer and works against
// the API; the answer is not cached; neither the list, nor a reload, nor
// the audit trail show it again. Revoking it on the page ends it.
func TestTokenSecretShownOnce(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, s.url+"/o/acme/settings/tokens")
	if status != http.StatusOK || !strings.Contains(body, "Your tokens") {
		t.Fatalf("tokens page: %d\n%s", status, body)
	}
	if strings.Contains(body, `id="token-member"`) || strings.Contains(body, `id="token-filter"`) {
		t.Error("a viewer is offered to make or list other members' tokens")
	}
	form := formValues(t, body, "token-form")
	form.Set("name", "laptop CLI")
	form.Set("expires", time.Now().AddDate(0, 1, 0).Format(time.DateOnly))
	resp, err := c.PostForm(s.url+"/o/acme/settings/tokens", form)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("create: %d, Location %q, Cache-Control %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Cache-Control"))
	}
	if !strings.Contains(body, "This is the only time the token is shown") {
		t.Error("the answer does not warn that the secret is shown once")
	}
	secret := secretOnPage(t, body)
	st, me := meWith(t, s, secret)
	if st != http.StatusOK || me.Email != "viewer@acme.test" || me.Token == nil || me.Token.Name != "laptop CLI" || me.Token.Expires.IsZero() {
		t.Fatalf("the new secret against /api/v1/me: %d %+v", st, me)
	}
	for _, p := range []string{"/o/acme/settings/tokens", "/o/acme/settings/tokens?export=csv", "/o/acme/settings", "/o/acme/"} {
		_, b := page(t, c, s.url+p)
		if strings.Contains(b, secret) || strings.Contains(b, secret[len(demarc.TokenPrefix):]) {
			t.Errorf("%s shows the secret again", p)
		}
	}
	_, b := page(t, s.browserClient(demarc.RoleOwner), s.url+"/o/acme/audit")
	if strings.Contains(b, secret) {
		t.Error("the audit trail shows the secret")
	}
	_, list := page(t, c, s.url+"/o/acme/settings/tokens")
	if !strings.Contains(list, "laptop CLI") || !strings.Contains(list, me.Token.Hint) {
		t.Fatal("the list does not show the new token's record")
	}
	revoke := formValues(t, list, "revoke-form-"+string(me.Token.ID))
	status, _, to := formPost(t, c, s.url+"/o/acme/settings/tokens/"+string(me.Token.ID)+"/revoke", revoke)
	if status != http.StatusSeeOther || !strings.Contains(to, "revoked=1") {
		t.Fatalf("revoke: %d to %q", status, to)
	}
	if st, _ := meWith(t, s, secret); st != http.StatusUnauthorized {
		t.Errorf("a revoked token still works: %d", st)
	}
	_, list = page(t, c, s.url+to)
	if !strings.Contains(list, "The token was revoked") || !regexp.MustCompile(`(?s)laptop CLI.*?state-token-revoked`).MatchString(list) {
		t.Error("the list does not show the token revoked")
	}
	if strings.Contains(list, `id="revoke-form-`+string(me.Token.ID)+`"`) {
		t.Error("a revoked token still offers to be revoked")
	}
}

// Members see only their own tokens; admins see everyone's, filter by
// member, and make tokens for others.
func TestTokensOfOthers(t *testing.T) {
	s := newSite(t, false)
	var made server.NewToken
	s.api("POST", "/api/v1/orgs/acme/tokens", s.tokens[demarc.RoleEditor], server.TokenRequest{Name: "editor pipeline"}, &made, http.StatusCreated)
	_, body := page(t, s.browserClient(demarc.RoleViewer), s.url+"/o/acme/settings/tokens?member=all")
	if strings.Contains(body, "editor pipeline") {
		t.Error("a viewer sees another member's token")
	}
	admin := s.browserClient(demarc.RoleAdmin)
	_, body = page(t, admin, s.url+"/o/acme/settings/tokens")
	if strings.Contains(body, "editor pipeline") {
		t.Error("an admin's own list shows another member's token")
	}
	_, body = page(t, admin, s.url+"/o/acme/settings/tokens?member=all")
	if !strings.Contains(body, "editor pipeline") || !strings.Contains(body, "editor &lt;editor@acme.test&gt;") {
		t.Fatalf("everyone's tokens:\n%s", body)
	}
	_, body = page(t, admin, s.url+"/o/acme/settings/tokens?member="+string(made.Member))
	if !strings.Contains(body, "editor pipeline") || strings.Contains(body, ">admin &lt;admin@acme.test&gt;<") {
		t.Error("the member filter does not keep to the member")
	}
	form := formValues(t, body, "token-form")
	form.Set("name", "for the editor")
	form.Set("member", string(made.Member))
	resp, err := admin.PostForm(s.url+"/o/acme/settings/tokens", form)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "Token for editor &lt;editor@acme.test&gt;") {
		t.Fatalf("token for another member: %d\n%s", resp.StatusCode, body)
	}
	if st, me := meWith(t, s, secretOnPage(t, body)); st != http.StatusOK || me.Email != "editor@acme.test" {
		t.Errorf("the token made for the editor signs in as %q (%d)", me.Email, st)
	}
}

// A bad expiry is refused on the form with what was typed kept; a
// revocation against a token someone revoked meanwhile says so.
func TestTokenBadInput(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	_, body := page(t, c, s.url+"/o/acme/settings/tokens")
	form := formValues(t, body, "token-form")
	for _, tc := range []struct{ expires, want string }{
		{"next tuesday", "is not a date"},
		{"2020-01-31", "is in the past"},
	} {
		form.Set("name", "deploy bot")
		form.Set("expires", tc.expires)
		status, b, _ := formPost(t, c, s.url+"/o/acme/settings/tokens", form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(b, tc.want) {
			t.Errorf("expires %q: %d, want 422 saying %q", tc.expires, status, tc.want)
			continue
		}
		kept := formValues(t, b, "token-form")
		if kept.Get("name") != "deploy bot" || kept.Get("expires") != tc.expires {
			t.Errorf("expires %q: the form lost what was typed: %v", tc.expires, kept)
		}
		if !regexp.MustCompile(`id="token-expires"[^>]*aria-invalid="true"`).MatchString(b) {
			t.Errorf("expires %q: not marked beside the field", tc.expires)
		}
	}
	var made server.NewToken
	s.api("POST", "/api/v1/orgs/acme/tokens", s.tokens[demarc.RoleEditor], server.TokenRequest{Name: "short-lived"}, &made, http.StatusCreated)
	_, body = page(t, c, s.url+"/o/acme/settings/tokens")
	revoke := formValues(t, body, "revoke-form-"+string(made.ID))
	s.apiWith("DELETE", "/api/v1/orgs/acme/tokens/"+string(made.ID), s.tokens[demarc.RoleOwner], revoke.Get("etag"), nil, http.StatusNoContent)
	status, b, _ := formPost(t, c, s.url+"/o/acme/settings/tokens/"+string(made.ID)+"/revoke", revoke)
	if status != http.StatusPreconditionFailed || !strings.Contains(b, "someone revoked it") {
		t.Errorf("revoking a token revoked meanwhile: %d\n%s", status, b)
	}
}

// Long lists come in pages: the tokens page links to the next page, and
// the two pages together list every token once.
func TestTokensArePaged(t *testing.T) {
	s := newSite(t, false)
	for i := range 55 {
		s.api("POST", "/api/v1/orgs/acme/tokens", s.tokens[demarc.RoleEditor], server.TokenRequest{Name: "bot-" + strconv.Itoa(i)}, nil, http.StatusCreated)
	}
	c := s.browserClient(demarc.RoleEditor)
	_, first := page(t, c, s.url+"/o/acme/settings/tokens")
	next := regexp.MustCompile(`href="([^"]*cursor=[^"]*)" id="more-tokens"`).FindStringSubmatch(first)
	if next == nil {
		t.Fatal("the first page has no link to the next")
	}
	_, second := page(t, c, s.url+html.UnescapeString(next[1]))
	seen := map[string]int{}
	for _, p := range []string{first, second} {
		for _, m := range regexp.MustCompile(`<th scope="row">(bot-\d+|test)`).FindAllStringSubmatch(p, -1) {
			seen[m[1]]++
		}
	}
	if len(seen) != 56 {
		t.Errorf("the pages list %d tokens, want 56", len(seen))
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s is listed %d times", name, n)
		}
	}
	if strings.Contains(second, `id="more-tokens"`) {
		t.Error("the last page links to a next one")
	}
}

// Without sign-in (--local) the pages act as the first owner.
func TestSettingsPagesLocal(t *testing.T) {
	s := newSite(t, true)
	c := s.browserClient("")
	for _, p := range []string{"/o/acme/settings", "/o/acme/settings/tokens", "/o/acme/publications", "/o/acme/subscriptions"} {
		if status, body := page(t, c, s.url+p); status != http.StatusOK || !strings.Contains(body, "<h1>") {
			t.Errorf("GET %s: %d", p, status)
		}
	}
	_, body := page(t, c, s.url+"/o/acme/settings")
	if !strings.Contains(body, "owner@acme.test <span class=\"muted\">(you)</span>") || !strings.Contains(body, `id="rename-form"`) {
		t.Error("local mode does not act as the owner")
	}
}
