package storetest

import (
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

const providerV1 = "id: acme-cloud\ntitle: Acme Cloud\nservices: []\n"

func testPublications(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	p := newTenant(t, s, "provider")
	cust := newTenant(t, s, "customer")
	other := newTenant(t, s, "other")

	doc := p.document(t, s, demarc.DocProvider, "acme-cloud", providerV1)
	sys := p.document(t, s, demarc.DocSystem, "internal", "name: internal\n")
	_, err := s.Publish(c, p.by, p.org.ID, sys.Document, 1)
	wantCode(t, err, demarc.EInvalid)
	_, err = s.Publish(c, p.by, p.org.ID, doc.Document, 2)
	wantCode(t, err, demarc.ENotFound)

	pub, err := s.Publish(c, p.by, p.org.ID, doc.Document, 1)
	must(t, err)
	equal(t, "published version", pub.Version, 1)
	equal(t, "publisher slug", pub.OrgSlug, p.org.Slug)
	_, err = s.Publish(c, p.by, p.org.ID, doc.Document, 1)
	wantCode(t, err, demarc.EConflict)

	// Every organisation sees an offered publication.
	seen, err := s.Publication(c, other.org.ID, pub.ID)
	must(t, err)
	equal(t, "seen by others", seen.Hash, demarc.HashContent([]byte(providerV1)))
	list, _, err := s.Publications(c, cust.org.ID, demarc.PublicationFilter{Owner: p.org.ID})
	must(t, err)
	equal(t, "publications of the provider", len(list), 1)

	_, err = s.Subscribe(c, p.by, p.org.ID, pub.ID)
	wantCode(t, err, demarc.EInvalid)
	sub, err := s.Subscribe(c, cust.by, cust.org.ID, pub.ID)
	must(t, err)
	equal(t, "acknowledged on subscribing", sub.Acknowledged, 1)
	equal(t, "provider", sub.Provider, p.org.ID)
	_, err = s.Subscribe(c, cust.by, cust.org.ID, pub.ID)
	wantCode(t, err, demarc.EConflict)
	subs, err := s.Subscribers(c, p.org.ID, pub.ID)
	must(t, err)
	equal(t, "subscribers", len(subs), 1)
	equal(t, "subscriber", subs[0].Org, cust.org.ID)
	_, err = s.Subscribers(c, cust.org.ID, pub.ID)
	wantCode(t, err, demarc.ENotFound)

	// The provider edits its draft: subscribers see only what is published.
	const providerV2 = "id: acme-cloud\ntitle: Acme Cloud\nstatement: []\nservices: []\n"
	_, err = s.UpdateDocument(c, p.by, p.org.ID, doc.Document, 1, demarc.DocumentInput{Name: "acme-cloud", Content: []byte(providerV2)})
	must(t, err)
	_, err = s.PublishedRevision(c, cust.org.ID, pub.ID, 2)
	wantCode(t, err, demarc.ENotFound)
	cur, err := s.PublishedRevision(c, cust.org.ID, pub.ID, 0)
	must(t, err)
	equal(t, "published content", string(cur.Content), providerV1)
	_, err = s.Revision(c, cust.org.ID, doc.Document, 1)
	wantCode(t, err, demarc.ENotFound) // the document itself stays private

	before := len(allEvents(t, s, cust.org.ID))
	pub2, err := s.Publish(c, p.by, p.org.ID, doc.Document, 2)
	must(t, err)
	equal(t, "new published version", pub2.Version, 2)
	_, err = s.Publish(c, p.by, p.org.ID, doc.Document, 1)
	wantCode(t, err, demarc.EConflict)
	news := allEvents(t, s, cust.org.ID)[before:]
	if len(news) != 1 || news[0].Action != demarc.ActionSubscriptionNews || news[0].Object != "subscription/"+string(sub.ID) ||
		news[0].Before != demarc.HashContent([]byte(providerV1)) || news[0].After != demarc.HashContent([]byte(providerV2)) {
		t.Fatalf("the subscriber's trail did not record the new version: %+v", news)
	}
	sub, err = s.Subscription(c, cust.org.ID, sub.ID)
	must(t, err)
	equal(t, "published", sub.Published, 2)
	equal(t, "acknowledged", sub.Acknowledged, 1)
	// Both versions stay readable, so the subscriber can see what moved.
	old, err := s.PublishedRevision(c, cust.org.ID, pub.ID, 1)
	must(t, err)
	equal(t, "old published content", string(old.Content), providerV1)
	versions, err := s.PublicationVersions(c, cust.org.ID, pub.ID)
	must(t, err)
	equal(t, "published versions", len(versions), 2)
	equal(t, "newest first", versions[0].Version, 2)

	_, err = s.Acknowledge(c, cust.by, cust.org.ID, sub.ID, 3)
	wantCode(t, err, demarc.EInvalid)
	sub, err = s.Acknowledge(c, cust.by, cust.org.ID, sub.ID, 2)
	must(t, err)
	equal(t, "acknowledged", sub.Acknowledged, 2)
	_, err = s.Acknowledge(c, cust.by, cust.org.ID, sub.ID, 1)
	wantCode(t, err, demarc.EInvalid)

	wantCode(t, s.DeleteDocument(c, p.by, p.org.ID, doc.Document, 2), demarc.EConflict)

	// Withdrawn: hidden from strangers, still there for subscribers.
	must(t, s.Withdraw(c, p.by, p.org.ID, pub.ID))
	_, err = s.Publication(c, other.org.ID, pub.ID)
	wantCode(t, err, demarc.ENotFound)
	_, err = s.Subscribe(c, other.by, other.org.ID, pub.ID)
	wantCode(t, err, demarc.ENotFound)
	_, err = s.PublishedRevision(c, other.org.ID, pub.ID, 1)
	wantCode(t, err, demarc.ENotFound)
	gone, err := s.Publication(c, cust.org.ID, pub.ID)
	must(t, err)
	equal(t, "withdrawn", gone.Withdrawn.IsZero(), false)
	sub, err = s.Subscription(c, cust.org.ID, sub.ID)
	must(t, err)
	equal(t, "subscription sees the withdrawal", sub.Withdrawn, true)
	_, err = s.PublishedRevision(c, cust.org.ID, pub.ID, 2)
	must(t, err)
	mine, err := s.Publication(c, p.org.ID, pub.ID)
	must(t, err)
	equal(t, "own withdrawn publication", mine.ID, pub.ID)

	// Publishing again offers it again.
	again, err := s.Publish(c, p.by, p.org.ID, doc.Document, 2)
	must(t, err)
	equal(t, "offered again", again.Withdrawn.IsZero(), true)

	must(t, s.Unsubscribe(c, cust.by, cust.org.ID, sub.ID))
	_, err = s.Subscription(c, cust.org.ID, sub.ID)
	wantCode(t, err, demarc.ENotFound)
	for _, tn := range []tenant{p, cust, other} {
		verified(t, s, tn.org.ID)
	}
}

// signoffWorld is a provider with a published statement, a customer who
// subscribes to it and has a system and an attestation register, and an
// outsider.
type signoffWorld struct {
	provider, customer, outsider tenant
	pub                          *demarc.Publication
	sub                          *demarc.Subscription
	system, register             *demarc.Revision
	providerDoc                  *demarc.Revision
}

func newSignoffWorld(t testing.TB, s demarc.Store) signoffWorld {
	c := ctx(t)
	w := signoffWorld{provider: newTenant(t, s, "provider"), customer: newTenant(t, s, "customer"), outsider: newTenant(t, s, "outsider")}
	w.providerDoc = w.provider.document(t, s, demarc.DocProvider, "acme-cloud", providerV1)
	var err error
	w.pub, err = s.Publish(c, w.provider.by, w.provider.org.ID, w.providerDoc.Document, 1)
	must(t, err)
	w.sub, err = s.Subscribe(c, w.customer.by, w.customer.org.ID, w.pub.ID)
	must(t, err)
	w.system = w.customer.document(t, s, demarc.DocSystem, "webshop", "name: webshop\n")
	w.register = w.customer.document(t, s, demarc.DocAttestations, "soc2", "attestations: []\n")
	return w
}

func (w signoffWorld) request(t testing.TB, s demarc.Store, matrix string) *demarc.Signoff {
	t.Helper()
	so, err := s.RequestSignoff(ctx(t), w.customer.by, w.customer.org.ID, demarc.SignoffInput{
		System:       demarc.DocumentRef{ID: w.system.Document, Version: w.system.Version},
		Framework:    "nist-800-53-r5",
		Matrix:       []byte(matrix),
		Documents:    []demarc.DocumentRef{{ID: w.register.Document, Version: w.register.Version}},
		Publications: []demarc.PublicationRef{{ID: w.pub.ID, Version: w.pub.Version}},
	})
	must(t, err)
	return so
}

func testSignoffs(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	w := newSignoffWorld(t, s)
	matrix := `{"controls":[{"id":"si-2","owner":"shared"}]}`
	so := w.request(t, s, matrix)
	equal(t, "matrix hash", so.MatrixHash, demarc.HashContent([]byte(matrix)))
	equal(t, "parties", describe(so.Parties), describe([]demarc.OrgID{w.customer.org.ID, w.provider.org.ID}))
	equal(t, "state", so.State(), demarc.SignoffPending)
	equal(t, "documents", len(so.Documents), 2)
	equal(t, "system first", so.Documents[0].ID, w.system.Document)

	// Both parties see it, with the same content; the outsider does not.
	for _, tn := range []tenant{w.customer, w.provider} {
		got, err := s.Signoff(c, tn.org.ID, so.ID)
		must(t, err)
		equal(t, "sign-off as read by "+tn.org.Slug, describe(got), describe(so))
		m, err := s.SignoffMatrix(c, tn.org.ID, so.ID)
		must(t, err)
		equal(t, "matrix", string(m), matrix)
		list, _, err := s.Signoffs(c, tn.org.ID, demarc.SignoffFilter{})
		must(t, err)
		equal(t, "listed sign-offs", len(list), 1)
	}
	_, err := s.Signoff(c, w.outsider.org.ID, so.ID)
	wantCode(t, err, demarc.ENotFound)

	_, err = s.Sign(c, w.customer.by, w.customer.org.ID, so.ID, demarc.HashContent([]byte("another matrix")))
	wantMismatch(t, err)
	_, err = s.Sign(c, demarc.Actor{}, w.customer.org.ID, so.ID, so.MatrixHash)
	wantCode(t, err, demarc.EInvalid)
	signed, err := s.Sign(c, w.customer.by, w.customer.org.ID, so.ID, so.MatrixHash)
	must(t, err)
	equal(t, "state after one party", signed.State(), demarc.SignoffPending)
	_, err = s.Sign(c, w.customer.by, w.customer.org.ID, so.ID, so.MatrixHash)
	wantCode(t, err, demarc.EConflict)
	// A customer member cannot sign for the provider.
	_, err = s.Sign(c, w.customer.by, w.provider.org.ID, so.ID, so.MatrixHash)
	wantCode(t, err, demarc.ENotFound)
	_, err = s.Sign(c, w.outsider.by, w.outsider.org.ID, so.ID, so.MatrixHash)
	wantCode(t, err, demarc.ENotFound)

	signer, signerBy := w.provider.member(t, s, "signer", demarc.RoleAdmin)
	done, err := s.Sign(c, signerBy, w.provider.org.ID, so.ID, so.MatrixHash)
	must(t, err)
	equal(t, "state after both parties", done.State(), demarc.SignoffComplete)
	equal(t, "signatures", len(done.Signatures), 2)
	sig := done.Signatures[1]
	equal(t, "signature", describe([]any{sig.Org, sig.Member, sig.Email, sig.Role}), describe([]any{w.provider.org.ID, signer.ID, signer.Email, demarc.RoleAdmin}))

	// The signature outlives the signer's membership, as signed.
	must(t, s.RemoveMember(c, w.provider.by, w.provider.org.ID, signer.ID, 1))
	kept, err := s.Signoff(c, w.customer.org.ID, so.ID)
	must(t, err)
	equal(t, "signature kept", kept.Signatures[1].Email, signer.Email)

	// Both organisations' trails record the provider's signature.
	for _, tn := range []tenant{w.customer, w.provider} {
		found := false
		for _, e := range allEvents(t, s, tn.org.ID) {
			if e.Action == demarc.ActionSignoffSign && e.Actor.Member == signer.ID && strings.Contains(e.Detail, "every party has signed") {
				found = true
			}
		}
		if !found {
			t.Errorf("the trail of %s lacks the provider's signature", tn.org.Slug)
		}
		verified(t, s, tn.org.ID)
	}

	// Requests built on out-of-date inputs are refused.
	in := demarc.SignoffInput{System: demarc.DocumentRef{ID: w.system.Document, Version: 9}, Framework: "soc2", Matrix: []byte("m")}
	_, err = s.RequestSignoff(c, w.customer.by, w.customer.org.ID, in)
	wantMismatch(t, err)
	in.System.Version = 1
	in.Publications = []demarc.PublicationRef{{ID: w.pub.ID, Version: 7}}
	_, err = s.RequestSignoff(c, w.customer.by, w.customer.org.ID, in)
	wantMismatch(t, err)
	in.System = demarc.DocumentRef{ID: w.register.Document, Version: 1}
	in.Publications = nil
	_, err = s.RequestSignoff(c, w.customer.by, w.customer.org.ID, in)
	wantCode(t, err, demarc.EInvalid)
	// The outsider does not subscribe: it cannot build on the publication.
	osys := w.outsider.document(t, s, demarc.DocSystem, "x", "name: x\n")
	_, err = s.RequestSignoff(c, w.outsider.by, w.outsider.org.ID, demarc.SignoffInput{
		System: demarc.DocumentRef{ID: osys.Document, Version: 1}, Framework: "soc2", Matrix: []byte("m"),
		Publications: []demarc.PublicationRef{{ID: w.pub.ID, Version: 1}},
	})
	wantCode(t, err, demarc.ENotFound)
}

func testSignoffStaleness(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	cases := []struct {
		name   string
		change func(t *testing.T, w signoffWorld)
		reason string
	}{
		{"system changes", func(t *testing.T, w signoffWorld) {
			_, err := s.UpdateDocument(c, w.customer.by, w.customer.org.ID, w.system.Document, 1, demarc.DocumentInput{Name: "webshop", Content: []byte("name: webshop\nchanged: true\n")})
			must(t, err)
		}, "system webshop changed to version 2"},
		{"attestation register changes", func(t *testing.T, w signoffWorld) {
			_, err := s.UpdateDocument(c, w.customer.by, w.customer.org.ID, w.register.Document, 1, demarc.DocumentInput{Name: "soc2", Content: []byte("attestations: [x]\n")})
			must(t, err)
		}, "attestations soc2 changed"},
		{"system deleted", func(t *testing.T, w signoffWorld) {
			must(t, s.DeleteDocument(c, w.customer.by, w.customer.org.ID, w.system.Document, 1))
		}, "was deleted"},
		{"provider publishes a new version", func(t *testing.T, w signoffWorld) {
			_, err := s.UpdateDocument(c, w.provider.by, w.provider.org.ID, w.providerDoc.Document, 1, demarc.DocumentInput{Name: "acme-cloud", Content: []byte(providerV1 + "# v2\n")})
			must(t, err)
			_, err = s.Publish(c, w.provider.by, w.provider.org.ID, w.providerDoc.Document, 2)
			must(t, err)
		}, "published version 2"},
		{"provider withdraws", func(t *testing.T, w signoffWorld) {
			must(t, s.Withdraw(c, w.provider.by, w.provider.org.ID, w.pub.ID))
		}, "withdrawn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newSignoffWorld(t, s)
			so := w.request(t, s, "matrix")
			_, err := s.Sign(c, w.customer.by, w.customer.org.ID, so.ID, so.MatrixHash)
			must(t, err)
			unrelated := w.customer.document(t, s, demarc.DocSystem, "unrelated", "x\n")
			_, err = s.UpdateDocument(c, w.customer.by, w.customer.org.ID, unrelated.Document, 1, demarc.DocumentInput{Name: "unrelated", Content: []byte("y\n")})
			must(t, err)
			got, err := s.Signoff(c, w.customer.org.ID, so.ID)
			must(t, err)
			equal(t, "state after an unrelated change", got.State(), demarc.SignoffPending)

			tc.change(t, w)
			for _, tn := range []tenant{w.customer, w.provider} {
				got, err := s.Signoff(c, tn.org.ID, so.ID)
				must(t, err)
				equal(t, "state", got.State(), demarc.SignoffStale)
				if !strings.Contains(got.StaleReason, tc.reason) {
					t.Errorf("stale reason %q does not say %q", got.StaleReason, tc.reason)
				}
			}
			e := lastEvent(t, s, w.customer.org.ID)
			equal(t, "customer's last event", e.Action, demarc.ActionSignoffStale)
			equal(t, "object", e.Object, "signoff/"+string(so.ID))
			_, err = s.Sign(c, w.provider.by, w.provider.org.ID, so.ID, so.MatrixHash)
			wantCode(t, err, demarc.EConflict)
			for _, tn := range []tenant{w.customer, w.provider, w.outsider} {
				verified(t, s, tn.org.ID)
			}
		})
	}
}
