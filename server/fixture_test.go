package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/demarc-io/demarc"
)

// cloudStatement is a provider statement a provider organisation
// publishes: version 1, and version 2 that moves backups to the provider.
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

const cloudStatementV2 = cloudStatement + `        overrides:
          - area: data.backup
            owner: provider
            provider: Takes and tests daily backups of every database.
`

// otherStatement is a second statement the customer does not subscribe to.
const otherStatement = `providers:
  - id: queueco
    title: QueueCo
    kind: saas
    services:
      - id: queueco/queue
        title: QueueCo message queue
        model: saas
        category: messaging
`

// ownStatement is a provider statement of the customer's own, which it
// publishes too.
const ownStatement = `providers:
  - id: acme-platform
    title: Acme internal platform
    kind: generic
    services:
      - id: acme-platform/runtime
        title: Acme shared runtime
        model: paas
        category: compute
`

// shopSystem uses a built-in service, a subscribed provider's service and
// the customer's own, with an attestation register by name.
const shopSystem = `name: shop
frameworks: [nist-800-53-r5]
attestation_files: [aws-register]
components:
  - name: api
    service: aws/lambda
  - name: db
    service: cloudco/db
  - name: runtime
    service: acme-platform/runtime
`

// fixture is three organisations: acme (the customer), cloud (a provider
// acme subscribes to) and rival (a stranger), with every kind of record.
type fixture struct {
	e                  *env
	acme, cloud, rival *tenant
	system, register   demarc.DocumentID
	// spareRegister is a register no system names, which may be deleted.
	spareRegister       demarc.DocumentID
	provider            demarc.DocumentID // acme's own, published, at version 2
	spare               demarc.DocumentID // acme's own, not published
	pub                 demarc.PublicationID
	cloudPub, otherPub  demarc.PublicationID
	sub                 demarc.SubscriptionID
	signoff             demarc.SignoffID
	matrixHash          demarc.ContentHash
	rivalSystem         demarc.DocumentID
	rivalPub            demarc.PublicationID
	ownerToken          *demarc.Token // acme owner's token record
	rivalIDs, acmeIDs   []string
	ownerTag, pubTag    string
	subTag              string
	viewer, rivalMember *demarc.Member
}

func newFixture(t testing.TB, e *env) *fixture {
	t.Helper()
	ctx := context.Background()
	fx := &fixture{e: e, acme: e.tenant("acme"), cloud: e.tenant("cloud"), rival: e.tenant("rival")}
	st := e.store
	by := func(tn *tenant) demarc.Actor { return demarc.Actor{Member: tn.members[demarc.RoleOwner].ID} }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	doc := func(tn *tenant, kind demarc.DocKind, name, content string) demarc.DocumentID {
		t.Helper()
		rev, err := st.CreateDocument(ctx, by(tn), tn.org.ID, demarc.DocumentInput{Kind: kind, Name: name, Content: []byte(content)})
		must(err)
		return rev.Document
	}
	publish := func(tn *tenant, id demarc.DocumentID) demarc.PublicationID {
		t.Helper()
		p, err := st.Publish(ctx, by(tn), tn.org.ID, id, 0)
		must(err)
		return p.ID
	}
	cloudDoc := doc(fx.cloud, demarc.DocProvider, "cloudco", cloudStatement)
	fx.cloudPub = publish(fx.cloud, cloudDoc)
	fx.otherPub = publish(fx.cloud, doc(fx.cloud, demarc.DocProvider, "queueco", otherStatement))
	sub, err := st.Subscribe(ctx, by(fx.acme), fx.acme.org.ID, fx.cloudPub)
	must(err)
	fx.sub = sub.ID
	fx.subTag = subscriptionTag(sub)
	// The provider moves on: acme has news to acknowledge.
	_, err = st.UpdateDocument(ctx, by(fx.cloud), fx.cloud.org.ID, cloudDoc, 1, demarc.DocumentInput{Name: "cloudco", Content: []byte(cloudStatementV2)})
	must(err)
	publish(fx.cloud, cloudDoc)
	fx.provider = doc(fx.acme, demarc.DocProvider, "acme-platform", ownStatement)
	fx.pub = publish(fx.acme, fx.provider)
	_, err = st.UpdateDocument(ctx, by(fx.acme), fx.acme.org.ID, fx.provider, 1, demarc.DocumentInput{Name: "acme-platform", Content: []byte(ownStatement + "    description: Version 2.\n")})
	must(err)
	p, err := st.Publication(ctx, fx.acme.org.ID, fx.pub)
	must(err)
	fx.pubTag = publicationTag(p)
	fx.spare = doc(fx.acme, demarc.DocProvider, "spare", "providers:\n  - id: spare\n    title: Spare\n    kind: generic\n    services: []\n")
	fx.register = doc(fx.acme, demarc.DocAttestations, "aws-register", example(t, "attestations/aws-sample.yaml"))
	fx.spareRegister = doc(fx.acme, demarc.DocAttestations, "spare-register", example(t, "attestations/aws-sample.yaml"))
	fx.system = doc(fx.acme, demarc.DocSystem, "shop", shopSystem)
	r := e.must(http.StatusCreated, req{method: "POST", path: fx.acmePath("/systems/" + string(fx.system) + "/signoffs"), token: fx.acme.tokens[demarc.RoleEditor], body: SignoffRequest{}})
	var so SignoffView
	r.json(t, &so)
	fx.signoff, fx.matrixHash = so.ID, so.MatrixHash
	toks, err := st.Tokens(ctx, fx.acme.org.ID, fx.acme.members[demarc.RoleOwner].ID)
	must(err)
	fx.ownerToken = &toks[0]
	fx.ownerTag = tokenTag(fx.ownerToken)
	fx.viewer = fx.acme.members[demarc.RoleViewer]

	fx.rivalSystem = doc(fx.rival, demarc.DocSystem, "shop", "name: rival-shop\ncomponents:\n  - name: api\n    service: aws/lambda\n")
	fx.rivalPub = publish(fx.rival, doc(fx.rival, demarc.DocProvider, "rival-platform", "providers:\n  - id: rival-platform\n    title: Rival platform\n    kind: generic\n    services:\n      - id: rival-platform/run\n        title: Rival runtime\n        model: paas\n        category: compute\n"))
	fx.rivalMember = fx.rival.members[demarc.RoleViewer]
	fx.rivalIDs = fx.ids(fx.rival, fx.rivalSystem)
	fx.acmeIDs = fx.ids(fx.acme, fx.system, fx.register, fx.spare) // fx.provider is published: its id is public
	return fx
}

// ids lists the ids of a tenant's records that must never appear in
// another organisation's answers (publications are public by design and
// left out).
func (fx *fixture) ids(tn *tenant, docs ...demarc.DocumentID) []string {
	// The organisation's id is not among them: publications name their
	// publisher.
	out := []string{tn.org.Slug + ".example"}
	for _, m := range tn.members {
		out = append(out, string(m.ID))
	}
	toks, err := fx.e.store.Tokens(context.Background(), tn.org.ID, "")
	if err != nil {
		fx.e.t.Fatal(err)
	}
	for _, tk := range toks {
		out = append(out, string(tk.ID))
	}
	for _, d := range docs {
		out = append(out, string(d))
	}
	return out
}

func (fx *fixture) acmePath(p string) string  { return "/api/v1/orgs/acme" + p }
func (fx *fixture) rivalPath(p string) string { return "/api/v1/orgs/rival" + p }

// heads returns every organisation's audit head, to prove a refused
// request wrote nothing.
func (fx *fixture) heads(t testing.TB) string {
	t.Helper()
	var s string
	for _, tn := range []*tenant{fx.acme, fx.cloud, fx.rival} {
		r, err := fx.e.store.Verify(context.Background(), tn.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("%s:%d;", tn.org.Slug, r.Head.Seq)
	}
	return s
}
