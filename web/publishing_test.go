package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// backupStatement is version 2 of cloudStatement: the provider now
// takes the backups of its managed database.
const backupStatement = cloudStatement + `        overrides:
          - area: data.backup
            owner: provider
            provider: Takes and tests daily backups of every database.
`

// providerOrg creates the provider organisation "cloud" through the API,
// with acme's owner as its owner, and a provider statement in it; it
// returns the cloud owner's token and the statement's id.
func providerOrg(s *site) (string, string) {
	s.t.Helper()
	var made server.OrgCreated
	s.api("POST", "/api/v1/orgs", s.tokens[demarc.RoleOwner], server.OrgRequest{Slug: "cloud", Name: "CloudCo Inc"}, &made, http.StatusCreated)
	if made.Token == nil {
		s.t.Fatal("creating an organisation with a token gave no token for its owner")
	}
	var stmt server.DocumentView
	s.api("POST", "/api/v1/orgs/cloud/providers", made.Token.Secret, server.DocumentRequest{Name: "cloudco", Content: cloudStatement, Note: "first statement"}, &stmt, http.StatusCreated)
	return made.Token.Secret, string(stmt.ID)
}

// A provider publishes its statement from the page; a customer's admin
// subscribes; the provider publishes a version that moves backups to
// itself; the customer sees the news and what moved, and an editor
// acknowledges it. Then the provider withdraws and the customer
// unsubscribes.
func TestPublishSubscribeAcknowledge(t *testing.T) {
	s := newSite(t, false)
	cloudToken, stmt := providerOrg(s)
	cloud := s.signedIn(cloudToken)

	status, body := page(t, cloud, s.url+"/o/cloud/publications")
	if status != http.StatusOK || !strings.Contains(body, `id="publish-form"`) || !strings.Contains(body, "Nothing published yet") {
		t.Fatalf("provider's publications page: %d\n%s", status, body)
	}
	form := formValues(t, body, "publish-form")
	form.Set("statement", stmt)
	status, _, to := formPost(t, cloud, s.url+"/o/cloud/publications", form)
	if status != http.StatusSeeOther || !strings.Contains(to, "/o/cloud/publications/pub_") {
		t.Fatalf("publish: %d to %q", status, to)
	}
	pubPath := to[:strings.Index(to, "?")]
	pubID := pubPath[strings.LastIndex(pubPath, "/")+1:]
	_, body = page(t, cloud, s.url+to)
	if !strings.Contains(body, "Published version 1 of cloudco") || !strings.Contains(body, `id="one-version"`) || !strings.Contains(body, "first statement") {
		t.Fatalf("after publishing:\n%s", body)
	}

	// Publishing the same version again is refused on the form.
	status, body, _ = formPost(t, cloud, s.url+"/o/cloud/publications", form)
	if status != http.StatusConflict || !strings.Contains(body, `id="publish-error"`) || selectedOption(t, body, "publish-statement") != stmt {
		t.Errorf("publishing again: %d, statement kept %q\n%s", status, selectedOption(t, body, "publish-statement"), body)
	}
	form.Set("version", "two")
	status, body, _ = formPost(t, cloud, s.url+"/o/cloud/publications", form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "is not a version") || formValues(t, body, "publish-form").Get("version") != "two" {
		t.Errorf("a version that is not a number: %d", status)
	}
	form.Del("version")

	// The customer: a viewer sees the offer but cannot subscribe; the admin does.
	_, body = page(t, s.browserClient(demarc.RoleViewer), s.url+"/o/acme/publications")
	if !strings.Contains(body, "cloudco") || strings.Contains(body, `id="subscribe-form-`+pubID+`"`) {
		t.Errorf("the viewer's list: offered %v, subscribe form %v", strings.Contains(body, "cloudco"), strings.Contains(body, "subscribe-form-"))
	}
	admin := s.browserClient(demarc.RoleAdmin)
	_, body = page(t, admin, s.url+"/o/acme/publications")
	sub := formValues(t, body, "subscribe-form-"+pubID)
	status, _, to = formPost(t, admin, s.url+"/o/acme/publications/"+pubID+"/subscribe", sub)
	if status != http.StatusSeeOther || !strings.Contains(to, "/o/acme/subscriptions/sub_") {
		t.Fatalf("subscribe: %d to %q", status, to)
	}
	subPath := to[:strings.Index(to, "?")]
	subID := subPath[strings.LastIndex(subPath, "/")+1:]
	_, body = page(t, admin, s.url+to)
	if !strings.Contains(body, "Subscribed to cloudco") || !strings.Contains(body, `id="no-news"`) {
		t.Fatalf("after subscribing:\n%s", body)
	}
	status, body, _ = formPost(t, admin, s.url+"/o/acme/publications/"+pubID+"/subscribe", sub)
	if status != http.StatusConflict || !strings.Contains(body, `id="pub-error"`) {
		t.Errorf("subscribing twice: %d", status)
	}

	// The provider moves backups to itself and publishes version 2.
	s.apiWith("PUT", "/api/v1/orgs/cloud/providers/"+stmt, cloudToken, `"v1"`, server.DocumentRequest{Content: backupStatement, Note: "we back up now"}, http.StatusOK)
	status, _, to = formPost(t, cloud, s.url+"/o/cloud/publications", form)
	if status != http.StatusSeeOther || !strings.Contains(to, "published=2") {
		t.Fatalf("publish v2: %d to %q", status, to)
	}
	_, body = page(t, cloud, s.url+to)
	for _, want := range []string{"we back up now", "data.backup", `id="moved-summary"`, "has news", "Subscribers <span class=\"muted\">(1)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the provider's publication page lacks %q", want)
		}
	}

	status, body = page(t, cloud, s.url+pubPath+"?from=1&to=9")
	if status != http.StatusNotFound || !strings.Contains(body, `id="changes-error"`) || !strings.Contains(body, `id="versions"`) {
		t.Errorf("comparing with a version never published: %d", status)
	}

	// The customer sees the news and what moved.
	viewer := s.browserClient(demarc.RoleViewer)
	_, body = page(t, viewer, s.url+"/o/acme/subscriptions")
	if !strings.Contains(body, "news: v2") || !regexp.MustCompile(`1 area assignment and \d+ controls change`).MatchString(body) {
		t.Fatalf("subscriptions list:\n%s", body)
	}
	_, body = page(t, viewer, s.url+subPath)
	if !strings.Contains(body, "Version 2 is out") || !regexp.MustCompile(`(?s)data\.backup.*?cloudco/db.*?o-shared.*?o-provider`).MatchString(body) {
		t.Fatalf("the news does not show data.backup on cloudco/db moving from shared to provider:\n%s", body)
	}
	if strings.Contains(body, `id="acknowledge-form"`) {
		t.Error("a viewer is offered to acknowledge")
	}
	csv := csvRows(t, viewer, s.url+subPath+"?export=csv")
	if len(csv) < 2 || csv[1][1] != "data.backup" || csv[1][4] != "shared" || csv[1][5] != "provider" {
		t.Errorf("the news as CSV: %v", csv)
	}
	editor := s.browserClient(demarc.RoleEditor)
	_, body = page(t, editor, s.url+subPath)
	ack := formValues(t, body, "acknowledge-form")
	if ack.Get("version") != "2" {
		t.Fatalf("the acknowledge form names version %q", ack.Get("version"))
	}
	status, _, to = formPost(t, editor, s.url+subPath+"/acknowledge", ack)
	if status != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", status)
	}
	var got demarc.Subscription
	s.api("GET", "/api/v1/orgs/acme/subscriptions/"+subID, s.tokens[demarc.RoleViewer], nil, &got, http.StatusOK)
	if got.Acknowledged != 2 {
		t.Errorf("acknowledged %d, want 2", got.Acknowledged)
	}
	_, body = page(t, editor, s.url+to)
	if !strings.Contains(body, "Acknowledged version 2") || !strings.Contains(body, `id="no-news"`) {
		t.Errorf("after acknowledging:\n%s", body)
	}

	// Withdraw (provider), then unsubscribe (customer).
	_, body = page(t, cloud, s.url+pubPath)
	status, _, _ = formPost(t, cloud, s.url+pubPath+"/withdraw", formValues(t, body, "withdraw-form"))
	if status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", status)
	}
	_, body = page(t, cloud, s.url+pubPath)
	if !strings.Contains(body, `id="pub-state">withdrawn`) {
		t.Error("the publication does not show withdrawn")
	}
	_, body = page(t, admin, s.url+subPath)
	status, _, to = formPost(t, admin, s.url+subPath+"/unsubscribe", formValues(t, body, "unsubscribe-form"))
	if status != http.StatusSeeOther {
		t.Fatalf("unsubscribe: %d", status)
	}
	_, body = page(t, admin, s.url+to)
	if !strings.Contains(body, "The subscription ended") || strings.Contains(body, subID) {
		t.Error("the subscription is still listed")
	}
}

// The rival organisation sees acme's settings, tokens and subscriptions
// as pages that do not exist, and cannot act on them.
func TestSettingsAndSubscriptionsStayPrivate(t *testing.T) {
	s := newSite(t, false)
	cloudToken, stmt := providerOrg(s)
	var pub server.Published
	s.api("POST", "/api/v1/orgs/cloud/providers/"+stmt+"/publish", cloudToken, server.PublishRequest{}, &pub, http.StatusCreated)
	var sub demarc.Subscription
	s.api("POST", "/api/v1/orgs/acme/subscriptions", s.tokens[demarc.RoleAdmin], server.SubscribeRequest{Publication: pub.Publication.ID}, &sub, http.StatusCreated)
	owner := s.browserClient(demarc.RoleOwner)
	_, body := page(t, owner, s.url+"/o/acme/settings")
	editor := membersByEmail(s)["editor@acme.test"]
	roleForm := formValues(t, body, "role-form-"+string(editor.ID))

	rival := s.signedIn(s.rival)
	for _, p := range []string{"/o/acme/settings", "/o/acme/settings/tokens", "/o/acme/publications", "/o/acme/subscriptions"} {
		status, b := page(t, rival, s.url+p)
		if status != http.StatusNotFound || strings.Contains(b, "editor@acme.test") {
			t.Errorf("rival GET %s: %d", p, status)
		}
	}
	_, b := page(t, rival, s.url+"/o/rival/settings")
	if strings.Contains(b, "acme.test") {
		t.Error("rival's settings show acme's members")
	}
	_, b = page(t, rival, s.url+"/o/rival/settings/tokens?member="+string(editor.ID))
	if strings.Contains(b, "editor@acme.test") {
		t.Error("rival's tokens page names an acme member")
	}
	roleForm.Set("csrf", formToken(t, s, rival))
	roleForm.Set("role", "viewer")
	for _, p := range []string{"/o/acme/settings/members/" + string(editor.ID) + "/role", "/o/rival/settings/members/" + string(editor.ID) + "/role"} {
		if status, _, _ := formPost(t, rival, s.url+p, roleForm); status != http.StatusNotFound {
			t.Errorf("rival POST %s: %d, want 404", p, status)
		}
	}
	if got := membersByEmail(s)["editor@acme.test"].Role; got != demarc.RoleEditor {
		t.Errorf("rival changed an acme member's role to %s", got)
	}
	if status, _ := page(t, rival, s.url+"/o/rival/subscriptions/"+string(sub.ID)); status != http.StatusNotFound {
		t.Errorf("rival reads acme's subscription: %d", status)
	}
	// Publications are offered to every organisation, but only the
	// publisher sees who subscribes.
	status, b := page(t, rival, s.url+"/o/rival/publications/"+string(pub.Publication.ID))
	if status != http.StatusOK || strings.Contains(b, `id="subscribers"`) || strings.Contains(b, string(s.org.ID)) {
		t.Errorf("rival's view of the publication: %d, shows subscribers %v", status, strings.Contains(b, `id="subscribers"`))
	}
	_, b = page(t, s.signedIn(cloudToken), s.url+"/o/cloud/publications/"+string(pub.Publication.ID))
	if !strings.Contains(b, `id="subscribers"`) || !strings.Contains(b, string(s.org.ID)) {
		t.Error("the publisher does not see its subscriber")
	}
}
