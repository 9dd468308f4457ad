package web_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// membersByEmail lists acme's members through the API, by e-mail.
func membersByEmail(s *site) map[string]demarc.Member {
	s.t.Helper()
	var l server.List[demarc.Member]
	s.api("GET", "/api/v1/orgs/acme/members?limit=500", s.tokens[demarc.RoleOwner], nil, &l, http.StatusOK)
	out := map[string]demarc.Member{}
	for _, m := range l.Items {
		out[m.Email] = m
	}
	return out
}

// selectedOption returns the value of the selected option of the select
// with id on a page.
func selectedOption(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<select id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</select>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no select %q on the page", id)
	}
	sel := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(m[1])
	if sel == nil {
		return ""
	}
	return html.UnescapeString(sel[1])
}

// An admin invites a member: the page shows the sign-in link to send,
// the member is listed as not yet linked, and a role change made on the
// page is what the API then says.
func TestSettingsInviteAndChangeRole(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleAdmin)
	status, body := page(t, c, s.url+"/o/acme/settings")
	if status != http.StatusOK || !strings.Contains(body, "editor@acme.test") || !strings.Contains(body, `/signin?org=acme`) {
		t.Fatalf("settings page: %d\n%s", status, body)
	}
	if strings.Contains(body, `id="rename-form"`) || !strings.Contains(body, "Only an owner can rename") {
		t.Error("an admin is offered the rename form, which only owners may use")
	}
	vals := formValues(t, body, "add-member-form")
	vals.Set("email", "Nina@Acme.test")
	vals.Set("name", "Nina New")
	vals.Set("role", "editor")
	status, _, to := formPost(t, c, s.url+"/o/acme/settings/members", vals)
	if status != http.StatusSeeOther || !strings.Contains(to, "invited=mem_") {
		t.Fatalf("add member: %d to %q", status, to)
	}
	status, body = page(t, c, s.url+to)
	if status != http.StatusOK || !strings.Contains(body, `id="invited"`) || !strings.Contains(body, "Added Nina New (nina@acme.test) as editor") {
		t.Fatalf("after inviting: %d\n%s", status, body)
	}
	if !strings.Contains(body, `value="`+s.url+`/signin?org=acme"`) {
		t.Errorf("the invitation link is not this server's sign-in address %s/signin?org=acme", s.url)
	}
	nina, ok := membersByEmail(s)["nina@acme.test"]
	if !ok || nina.Role != demarc.RoleEditor || nina.Subject != "" {
		t.Fatalf("the API has %+v", nina)
	}
	row := body[strings.Index(body, `id="member-`+string(nina.ID)+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "no <span") {
		t.Errorf("a member who never signed in shows as linked: %s", row)
	}

	vals = formValues(t, body, "role-form-"+string(nina.ID))
	vals.Set("role", "auditor")
	status, _, to = formPost(t, c, s.url+"/o/acme/settings/members/"+string(nina.ID)+"/role", vals)
	if status != http.StatusSeeOther {
		t.Fatalf("change role: %d", status)
	}
	if got := membersByEmail(s)["nina@acme.test"].Role; got != demarc.RoleAuditor {
		t.Errorf("after the change the API says %s, want auditor", got)
	}
	_, body = page(t, c, s.url+to)
	if !strings.Contains(body, "nina@acme.test is now auditor") || selectedOption(t, body, "role-"+string(nina.ID)) != "auditor" {
		t.Errorf("the page does not show the new role")
	}
	// An admin may not touch an owner: the owner's row has no forms.
	owner := membersByEmail(s)["owner@acme.test"]
	if strings.Contains(body, `id="role-form-`+string(owner.ID)+`"`) || strings.Contains(body, `id="remove-form-`+string(owner.ID)+`"`) {
		t.Error("an admin is offered forms that change an owner")
	}

	vals = formValues(t, body, "remove-form-"+string(nina.ID))
	status, _, to = formPost(t, c, s.url+"/o/acme/settings/members/"+string(nina.ID)+"/remove", vals)
	if status != http.StatusSeeOther || !strings.Contains(to, "removed=1") {
		t.Fatalf("remove: %d to %q", status, to)
	}
	if _, ok := membersByEmail(s)["nina@acme.test"]; ok {
		t.Error("the member is still there after removal")
	}
}

// A viewer sees the members but no form that changes them; sending one
// anyway is refused by the API (403) and changes nothing.
func TestSettingsViewerCannotChange(t *testing.T) {
	s := newSite(t, false)
	owner := s.browserClient(demarc.RoleOwner)
	_, ownerBody := page(t, owner, s.url+"/o/acme/settings")
	editor := membersByEmail(s)["editor@acme.test"]
	roleForm := formValues(t, ownerBody, "role-form-"+string(editor.ID))
	addForm := formValues(t, ownerBody, "add-member-form")

	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, s.url+"/o/acme/settings")
	if status != http.StatusOK || !strings.Contains(body, "editor@acme.test") {
		t.Fatalf("viewer's settings page: %d", status)
	}
	for _, id := range []string{"add-member-form", "rename-form", "role-form-", "remove-form-"} {
		if strings.Contains(body, `id="`+id) {
			t.Errorf("a viewer is offered %s", id)
		}
	}
	before := len(membersByEmail(s))
	roleForm.Set("csrf", formToken(t, s, c))
	roleForm.Set("role", "owner")
	status, body, _ = formPost(t, c, s.url+"/o/acme/settings/members/"+string(editor.ID)+"/role", roleForm)
	if status != http.StatusForbidden || !strings.Contains(body, "Forbidden") {
		t.Errorf("viewer changes a role: %d\n%s", status, body)
	}
	addForm.Set("csrf", formToken(t, s, c))
	addForm.Set("email", "sneaky@acme.test")
	addForm.Set("name", "Sneaky")
	status, _, _ = formPost(t, c, s.url+"/o/acme/settings/members", addForm)
	if status != http.StatusForbidden {
		t.Errorf("viewer adds a member: %d", status)
	}
	after := membersByEmail(s)
	if len(after) != before || after["editor@acme.test"].Role != demarc.RoleEditor {
		t.Errorf("a refused change changed the members: %+v", after)
	}
}

// formToken is the form token of a browser client's cookie jar.
func formToken(t *testing.T, s *site, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(s.url)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == "demarc_csrf" {
			return k.Value
		}
	}
	t.Fatal("no form token cookie")
	return ""
}

// Bad input is refused on the form that sent it, beside its field, with
// everything typed kept: a duplicate e-mail (409), a role that does not
// exist (422), a role change against a version someone else replaced
// (412), and a short name that is not one (422).
func TestSettingsBadInputKeepsTheForm(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleOwner)
	_, body := page(t, c, s.url+"/o/acme/settings")
	add := formValues(t, body, "add-member-form")

	add.Set("email", "EDITOR@acme.test")
	add.Set("name", "Second Editor")
	add.Set("role", "auditor")
	status, body, _ := formPost(t, c, s.url+"/o/acme/settings/members", add)
	if status != http.StatusConflict || !strings.Contains(body, `id="add-error"`) {
		t.Fatalf("duplicate e-mail: %d\n%s", status, body)
	}
	kept := formValues(t, body, "add-member-form")
	if kept.Get("email") != "EDITOR@acme.test" || kept.Get("name") != "Second Editor" || kept.Get("role") != "auditor" {
		t.Errorf("the refused form lost what was typed: %v", kept)
	}
	if !regexp.MustCompile(`id="add-email"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Error("the duplicate e-mail is not marked beside its field")
	}

	add.Set("email", "new@acme.test")
	add.Set("role", "superuser")
	status, body, _ = formPost(t, c, s.url+"/o/acme/settings/members", add)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "is not a role") {
		t.Fatalf("unknown role: %d\n%s", status, body)
	}
	if got := selectedOption(t, body, "add-role"); got != "superuser" || !strings.Contains(body, "superuser (unknown)") {
		t.Errorf("the unknown role is not kept on the form: %q", got)
	}
	if !regexp.MustCompile(`id="add-role"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Error("the bad role is not marked beside its field")
	}
	if len(membersByEmail(s)) != 5 {
		t.Error("a refused member was added")
	}

	// Someone else changes the editor's role after the page was loaded.
	_, body = page(t, c, s.url+"/o/acme/settings")
	editor := membersByEmail(s)["editor@acme.test"]
	form := formValues(t, body, "role-form-"+string(editor.ID))
	s.apiWith("PATCH", "/api/v1/orgs/acme/members/"+string(editor.ID), s.tokens[demarc.RoleOwner], memberTagOf(editor.Version), server.MemberPatch{Role: rolePtr(demarc.RoleViewer)}, http.StatusOK)
	form.Set("role", "admin")
	status, body, _ = formPost(t, c, s.url+"/o/acme/settings/members/"+string(editor.ID)+"/role", form)
	if status != http.StatusPreconditionFailed || !strings.Contains(body, "Someone else changed editor@acme.test") || !strings.Contains(body, "role now viewer") {
		t.Fatalf("stale role change: %d\n%s", status, body)
	}
	if got := selectedOption(t, body, "role-"+string(editor.ID)); got != "admin" {
		t.Errorf("the stale form lost the role chosen: %q", got)
	}
	if got := membersByEmail(s)["editor@acme.test"].Role; got != demarc.RoleViewer {
		t.Errorf("a stale change was applied: %s", got)
	}
	// Sent again, the form names the current version and applies.
	again := formValues(t, body, "role-form-"+string(editor.ID))
	if status, _, _ := formPost(t, c, s.url+"/o/acme/settings/members/"+string(editor.ID)+"/role", again); status != http.StatusSeeOther {
		t.Fatalf("second try: %d", status)
	}
	if got := membersByEmail(s)["editor@acme.test"].Role; got != demarc.RoleAdmin {
		t.Errorf("after the second try the role is %s, want admin", got)
	}

	// Rename: a bad short name, then a good one that moves the pages.
	_, body = page(t, c, s.url+"/o/acme/settings")
	rename := formValues(t, body, "rename-form")
	rename.Set("name", "Acme Stores")
	rename.Set("slug", "Acme Stores")
	status, body, _ = formPost(t, c, s.url+"/o/acme/settings/org", rename)
	if status != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="org-slug-in"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Fatalf("bad short name: %d\n%s", status, body)
	}
	if kept := formValues(t, body, "rename-form"); kept.Get("name") != "Acme Stores" || kept.Get("slug") != "Acme Stores" {
		t.Errorf("the rename form lost what was typed: %v", kept)
	}
	rename.Set("slug", "acme-stores")
	status, _, to := formPost(t, c, s.url+"/o/acme/settings/org", rename)
	if status != http.StatusSeeOther || to != "/o/acme-stores/settings?renamed=1" {
		t.Fatalf("rename: %d to %q", status, to)
	}
	if _, body = page(t, c, s.url+to); !strings.Contains(body, "Saved: the organisation is now Acme Stores (acme-stores).") {
		t.Errorf("after renaming:\n%s", body)
	}
	// The old form's version is stale now.
	rename.Set("slug", "acme")
	status, body, _ = formPost(t, c, s.url+"/o/acme-stores/settings/org", rename)
	if status != http.StatusPreconditionFailed || !strings.Contains(body, "Someone else changed the organisation") {
		t.Errorf("stale rename: %d\n%s", status, body)
	}
}

// apiWith calls the API with an If-Match header and checks the status.
func (s *site) apiWith(method, path, token, etag string, in any, want int) {
	s.t.Helper()
	r, err := http.NewRequest(method, s.url+path, strings.NewReader(mustJSON(s.t, in)))
	if err != nil {
		s.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", "application/json")
	if etag != "" {
		r.Header.Set("If-Match", etag)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
}

func mustJSON(t testing.TB, v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func memberTagOf(version int) string { return `"v` + strconv.Itoa(version) + `"` }

func rolePtr(r demarc.Role) *demarc.Role { return &r }

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonDecode(resp *http.Response, out any) error { return json.NewDecoder(resp.Body).Decode(out) }
