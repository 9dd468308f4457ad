package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// cloudStatement is a provider statement the rival organisation
// publishes, so that it becomes a party to acme's sign-offs.
const cloudStatement = `providers:
  - id: cloudco
    title: CloudCo
    kind: cloud
    services:
      - id: cloudco/db
        title: CloudCo managed database
        model: paas
        category: database
`

// providerParty has rival publish a provider statement that acme
// subscribes to and builds a system on; it returns the system's id.
// Sign-offs of that system have two parties: acme and rival.
func (s *site) providerParty() string {
	s.t.Helper()
	var stmt server.DocumentView
	s.api("POST", "/api/v1/orgs/rival/providers", s.rival, server.DocumentRequest{Name: "cloudco", Content: cloudStatement}, &stmt, http.StatusCreated)
	var pub server.Published
	s.api("POST", "/api/v1/orgs/rival/providers/"+string(stmt.ID)+"/publish", s.rival, server.PublishRequest{}, &pub, http.StatusCreated)
	s.api("POST", "/api/v1/orgs/acme/subscriptions", s.tokens[demarc.RoleOwner], server.SubscribeRequest{Publication: pub.Publication.ID}, nil, http.StatusCreated)
	var doc server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleOwner], server.DocumentRequest{Name: "orders",
		Content: "name: orders\nframeworks: [soc2]\ncomponents:\n  - name: db\n    service: cloudco/db\n  - name: api\n    service: aws/lambda\n"}, &doc, http.StatusCreated)
	return string(doc.ID)
}

// signedIn is a browser client signed in with any token, such as the
// rival organisation's owner's.
func (s *site) signedIn(token string) *http.Client {
	s.t.Helper()
	c := s.browserClient("")
	resp, err := c.PostForm(s.url+"/signin", url.Values{"csrf": {s.csrf(c)}, "token": {token}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c
}

// An editor requests a sign-off; the list and the dashboard show it
// awaiting both parties; acme's admin signs, then rival's owner, and it
// is complete.
func TestSignoffRequestAndSign(t *testing.T) {
	s := newSite(t, false)
	id := s.providerParty()
	editor := s.browserClient(demarc.RoleEditor)
	status, body := page(t, editor, s.url+"/o/acme/signoffs?system="+id)
	if status != http.StatusOK {
		t.Fatalf("sign-offs page: %d", status)
	}
	vals := formValues(t, body, "request-form")
	if vals.Get("system") != id {
		t.Fatalf("the request form is not set to the system of ?system=: %q", vals.Get("system"))
	}
	status, body, loc := formPost(t, editor, s.url+"/o/acme/signoffs", vals)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/o/acme/signoffs/so_") {
		t.Fatalf("request: %d to %q\n%s", status, loc, body)
	}
	status, detail := page(t, editor, s.url+loc)
	if status != http.StatusOK || !strings.Contains(detail, "orders") || strings.Contains(detail, `id="sign-form"`) || !strings.Contains(detail, `id="sign-role"`) {
		t.Fatalf("detail for an editor: %d, want the sign-off without a sign form", status)
	}
	if !strings.Contains(detail, "rival") || strings.Count(detail, "awaiting") < 2 {
		t.Error("the detail does not list both parties awaiting")
	}
	_, list := page(t, editor, s.url+"/o/acme/signoffs?state=pending")
	if !strings.Contains(list, loc) {
		t.Error("the pending filter does not list the sign-off")
	}
	_, none := page(t, editor, s.url+"/o/acme/signoffs?state=complete")
	if strings.Contains(none, loc) {
		t.Error("the complete filter lists a pending sign-off")
	}
	_, dash := page(t, editor, s.url+"/o/acme/")
	if !strings.Contains(dash, "awaiting Acme Retail, rival") {
		t.Error("the dashboard does not show the sign-off awaiting both parties")
	}

	admin := s.browserClient(demarc.RoleAdmin)
	_, detail = page(t, admin, s.url+loc)
	sign := formValues(t, detail, "sign-form")
	status, body, _ = formPost(t, admin, s.url+loc+"/sign", sign)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Tick the box") {
		t.Errorf("sign without confirming: %d", status)
	}
	sign.Set("confirm", "yes")
	status, _, back := formPost(t, admin, s.url+loc+"/sign", sign)
	if status != http.StatusSeeOther || back != loc {
		t.Fatalf("sign: %d to %q", status, back)
	}
	status, body, _ = formPost(t, admin, s.url+loc+"/sign", sign)
	if status != http.StatusConflict || !strings.Contains(body, "nothing was signed") {
		t.Errorf("signing twice: %d", status)
	}
	_, detail = page(t, admin, s.url+loc)
	if !strings.Contains(detail, `id="signed-note"`) || !strings.Contains(detail, "signed by") && !strings.Contains(detail, "admin (admin)") {
		t.Error("the detail does not show acme's signature")
	}

	rival := s.signedIn(s.rival)
	rivalPath := strings.Replace(loc, "/o/acme/", "/o/rival/", 1)
	status, detail = page(t, rival, s.url+rivalPath)
	if status != http.StatusOK || !strings.Contains(detail, `id="sign-form"`) || !strings.Contains(detail, "orders") {
		t.Fatalf("rival's view: %d", status)
	}
	sign = formValues(t, detail, "sign-form")
	sign.Set("confirm", "yes")
	if status, _, _ := formPost(t, rival, s.url+rivalPath+"/sign", sign); status != http.StatusSeeOther {
		t.Fatalf("rival signs: %d", status)
	}
	var so server.SignoffView
	s.api("GET", "/api/v1/orgs/acme/signoffs/"+strings.TrimPrefix(loc, "/o/acme/signoffs/"), s.tokens[demarc.RoleViewer], nil, &so, http.StatusOK)
	if so.State != demarc.SignoffComplete || len(so.Signatures) != 2 {
		t.Errorf("after both signed: %s with %d signatures", so.State, len(so.Signatures))
	}
	resp, err := rival.Get(s.url + rivalPath + "/matrix")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	matrix, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if demarc.HashContent(matrix) != so.MatrixHash {
		t.Error("the matrix download is not the matrix that was signed")
	}
}

// The sign-off forms refuse bad input clearly and change nothing.
func TestSignoffBadInput(t *testing.T) {
	s := newSite(t, false)
	id := s.providerParty()
	editor := s.browserClient(demarc.RoleEditor)
	_, body := page(t, editor, s.url+"/o/acme/signoffs")
	vals := formValues(t, body, "request-form")
	status, body, _ := formPost(t, editor, s.url+"/o/acme/signoffs", vals)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose the system") {
		t.Errorf("no system: %d", status)
	}
	vals.Set("system", id)
	vals.Set("framework", "no-such-framework")
	status, body, _ = formPost(t, editor, s.url+"/o/acme/signoffs", vals)
	if status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), `"no-such-framework" is not a framework`) ||
		!strings.Contains(body, `<option value="no-such-framework" selected>`) {
		t.Errorf("unknown framework: %d\n%s", status, body)
	}
	vals.Set("framework", "")
	vals.Set("system", "doc_nosuchsystem")
	status, body, _ = formPost(t, editor, s.url+"/o/acme/signoffs", vals)
	if status != http.StatusNotFound || !strings.Contains(body, "not found") || !strings.Contains(body, `id="request-form"`) {
		t.Errorf("unknown system: %d", status)
	}
	var list server.List[server.SignoffView]
	s.api("GET", "/api/v1/orgs/acme/signoffs", s.tokens[demarc.RoleViewer], nil, &list, http.StatusOK)
	if len(list.Items) != 0 {
		t.Fatalf("refused requests stored %d sign-offs", len(list.Items))
	}

	var so server.SignoffView
	s.api("POST", "/api/v1/orgs/acme/systems/"+id+"/signoffs", s.tokens[demarc.RoleEditor], server.SignoffRequest{}, &so, http.StatusCreated)
	admin := s.browserClient(demarc.RoleAdmin)
	path := s.url + "/o/acme/signoffs/" + string(so.ID)
	_, body = page(t, admin, path)
	sign := formValues(t, body, "sign-form")
	sign.Set("confirm", "yes")
	sign.Set("matrix_hash", "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	status, body, _ = formPost(t, admin, path+"/sign", sign)
	if status != http.StatusPreconditionFailed || !strings.Contains(body, "not the one this sign-off fixes") {
		t.Errorf("wrong matrix hash: %d", status)
	}
	// A viewer sees no sign form; a form sent anyway is refused by the API.
	viewer := s.browserClient(demarc.RoleViewer)
	_, body = page(t, viewer, path)
	if strings.Contains(body, `id="sign-form"`) {
		t.Error("a viewer is offered the sign form")
	}
	_, list2 := page(t, viewer, s.url+"/o/acme/signoffs")
	if strings.Contains(list2, `id="request-form"`) {
		t.Error("a viewer is offered the request form")
	}
	sign.Set("matrix_hash", string(so.MatrixHash))
	sign.Set("csrf", s.csrf(viewer))
	status, body, _ = formPost(t, viewer, path+"/sign", sign)
	if status != http.StatusForbidden || !strings.Contains(body, "error-message") {
		t.Errorf("viewer signs: %d", status)
	}
	s.api("GET", "/api/v1/orgs/acme/signoffs/"+string(so.ID), s.tokens[demarc.RoleViewer], nil, &so, http.StatusOK)
	if len(so.Signatures) != 0 {
		t.Errorf("refused signatures were stored: %+v", so.Signatures)
	}
}

// A sign-off goes stale when the system changes, and the list, the
// detail and the dashboard say why.
func TestSignoffStaleShowsWhy(t *testing.T) {
	s := newSite(t, false)
	id := s.providerParty()
	var so server.SignoffView
	s.api("POST", "/api/v1/orgs/acme/systems/"+id+"/signoffs", s.tokens[demarc.RoleEditor], server.SignoffRequest{}, &so, http.StatusCreated)
	doc := s.storedSystem(id)
	s.updateSystem(id, doc.Version, doc.Content+"description: changed\n")
	s.api("GET", "/api/v1/orgs/acme/signoffs/"+string(so.ID), s.tokens[demarc.RoleViewer], nil, &so, http.StatusOK)
	if so.State != demarc.SignoffStale || so.StaleReason == "" {
		t.Fatalf("sign-off after the change: %s", so.State)
	}
	c := s.browserClient(demarc.RoleViewer)
	for _, p := range []string{"/o/acme/signoffs?state=stale", "/o/acme/signoffs/" + string(so.ID), "/o/acme/"} {
		_, body := page(t, c, s.url+p)
		if !strings.Contains(html.UnescapeString(body), so.StaleReason) {
			t.Errorf("%s does not say why the sign-off is stale (%q)", p, so.StaleReason)
		}
	}
	resp, err := c.Get(s.url + "/o/acme/signoffs?export=csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	csv, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(string(csv), "Sign-off,System,Framework") || !strings.Contains(string(csv), string(so.MatrixHash)) || !strings.Contains(string(csv), "stale") {
		t.Errorf("CSV export:\n%s", csv)
	}
}
