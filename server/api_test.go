package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// A document's life: created, read, changed only with the ETag of the
// version read, every version kept, deleted with its history readable,
// and every step in the audit trail.
func TestDocumentLifecycle(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b, nil)
			a := e.tenant("acme")
			tok := a.tokens[demarc.RoleEditor]
			const base = "/api/v1/orgs/acme/attestations"
			content := example(t, "attestations/aws-sample.yaml")
			r := e.must(201, req{method: "POST", path: base, token: tok, body: DocumentRequest{Name: "aws", Content: content, Note: "first"}})
			var d DocumentView
			r.json(t, &d)
			if r.header.Get("ETag") != `"v1"` || r.header.Get("Location") != base+"/"+string(d.ID) {
				t.Fatalf("created: ETag %q, Location %q", r.header.Get("ETag"), r.header.Get("Location"))
			}
			one := base + "/" + string(d.ID)
			r = e.must(200, req{method: "GET", path: one, token: a.tokens[demarc.RoleViewer]})
			var got DocumentView
			r.json(t, &got)
			if got.Content != content || got.Version != 1 || got.Hash != demarc.HashContent([]byte(content)) {
				t.Fatalf("read back version %d, hash %s", got.Version, got.Hash)
			}
			e.must(304, req{method: "GET", path: one, token: tok, headers: map[string]string{"If-None-Match": `"v1"`}})

			changed := content + "# reviewed\n"
			r = e.must(428, req{method: "PUT", path: one, token: tok, body: DocumentRequest{Content: changed}})
			if r.errorCode() != EPreconditionRequired {
				t.Errorf("without If-Match: %s", r)
			}
			e.must(428, req{method: "PUT", path: one, token: tok, body: DocumentRequest{Content: changed}, headers: map[string]string{"If-Match": "*"}})
			e.must(412, req{method: "PUT", path: one, token: tok, body: DocumentRequest{Content: changed}, headers: map[string]string{"If-Match": `"v7"`}})
			e.must(412, req{method: "PUT", path: one, token: tok, body: DocumentRequest{Content: changed}, headers: map[string]string{"If-Match": `W/"v1"`}})
			r = e.must(200, req{method: "PUT", path: one, token: tok, body: DocumentRequest{Content: changed, Note: "reviewed"}, headers: map[string]string{"If-Match": `"v1"`}})
			if r.header.Get("ETag") != `"v2"` {
				t.Fatalf("after update: ETag %q", r.header.Get("ETag"))
			}
			e.must(412, req{method: "PUT", path: one, token: tok, body: DocumentRequest{Content: content}, headers: map[string]string{"If-Match": `"v1"`}})

			var versions List[demarc.Revision]
			e.must(200, req{method: "GET", path: one + "/versions", token: tok}).json(t, &versions)
			if len(versions.Items) != 2 || versions.Items[0].Version != 2 || versions.Items[0].Note != "reviewed" {
				t.Fatalf("versions: %+v", versions.Items)
			}
			var v1 RevisionView
			e.must(200, req{method: "GET", path: one + "/versions/1", token: tok}).json(t, &v1)
			if v1.Content != content {
				t.Fatal("version 1 changed")
			}
			e.must(404, req{method: "GET", path: one + "/versions/3", token: tok})
			e.must(400, req{method: "GET", path: one + "/versions/0", token: tok})

			e.must(428, req{method: "DELETE", path: one, token: tok})
			e.must(412, req{method: "DELETE", path: one, token: tok, headers: map[string]string{"If-Match": `"v1"`}})
			e.must(204, req{method: "DELETE", path: one, token: tok, headers: map[string]string{"If-Match": `"v2"`}})
			e.must(404, req{method: "GET", path: one, token: tok})
			e.must(200, req{method: "GET", path: one + "/versions/2", token: tok})
			var deleted List[demarc.Document]
			e.must(200, req{method: "GET", path: base + "?deleted=true", token: tok}).json(t, &deleted)
			if len(deleted.Items) != 1 || deleted.Items[0].ID != d.ID {
				t.Fatalf("deleted list: %+v", deleted.Items)
			}
			var events List[demarc.Event]
			e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/audit/events?object=document/" + string(d.ID), token: a.tokens[demarc.RoleAuditor]}).json(t, &events)
			var actions []string
			for _, ev := range events.Items {
				actions = append(actions, string(ev.Action))
				if ev.Actor.Member != a.members[demarc.RoleEditor].ID || ev.Actor.Token == "" {
					t.Errorf("event %d: actor %v, want the editor's token", ev.Seq, ev.Actor)
				}
			}
			if strings.Join(actions, ",") != "document.create,document.update,document.delete" {
				t.Errorf("audit trail: %v", actions)
			}
		})
	}
}

// Editors who change the same document at once never lose an update:
// each change is applied to the version its author read, and a stale one
// is refused (412) until the author reads again.
func TestConcurrentEditorsNeverLoseAnUpdate(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b, nil)
			a := e.tenant("acme")
			d := e.createDoc(a, "attestations", "aws", example(t, "attestations/aws-sample.yaml"))
			path := "/api/v1/orgs/acme/attestations/" + string(d.ID)
			const editors, each = 6, 4
			var wg sync.WaitGroup
			var mu sync.Mutex
			conflicts := 0
			for i := 0; i < editors; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					for j := 0; j < each; j++ {
						for {
							r := e.do(req{method: "GET", path: path, token: a.tokens[demarc.RoleEditor]})
							var cur DocumentView
							if err := json.Unmarshal(r.body, &cur); err != nil {
								t.Error(err)
								return
							}
							next := cur.Content + fmt.Sprintf("# editor %d change %d\n", i, j)
							w := e.do(req{method: "PUT", path: path, token: a.tokens[demarc.RoleEditor], body: DocumentRequest{Content: next}, headers: map[string]string{"If-Match": r.header.Get("ETag")}})
							if w.status == 200 {
								break
							}
							if w.status != 412 {
								t.Errorf("PUT: %s", w)
								return
							}
							mu.Lock()
							conflicts++
							mu.Unlock()
						}
					}
				}(i)
			}
			wg.Wait()
			var final DocumentView
			e.must(200, req{method: "GET", path: path, token: a.tokens[demarc.RoleViewer]}).json(t, &final)
			for i := 0; i < editors; i++ {
				for j := 0; j < each; j++ {
					if !strings.Contains(final.Content, fmt.Sprintf("# editor %d change %d\n", i, j)) {
						t.Errorf("the change %d of editor %d was lost", j, i)
					}
				}
			}
			if final.Version != 1+editors*each {
				t.Errorf("version %d, want %d", final.Version, 1+editors*each)
			}
			t.Logf("%d updates, %d refused as stale and retried", editors*each, conflicts)
		})
	}
}

// localMatrix computes a matrix as the command line does, from the
// example files on disk.
func localMatrix(t *testing.T, system, framework string) []byte {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/"+system, lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := render.Matrix(&buf, res.Matrix(lib.Framework(demarc.FrameworkID(framework))), render.JSON, render.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The server's answers are the library's: a matrix read through the API
// is byte for byte the matrix the command line computes from the same
// files, for every example system.
func TestMatrixEqualsCommandLine(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	for _, reg := range []string{"aws-sample.yaml", "azure-sample.yaml", "peoplecloud-sample.yaml"} {
		e.createDoc(a, "attestations", "attestations/"+reg, example(t, "attestations/"+reg))
	}
	for _, name := range []string{"serverless-webshop.yaml", "azure-enterprise-app.yaml", "gcp-kubernetes-platform.yaml", "lift-and-shift.yaml", "saas-vendor-chain.yaml"} {
		d := e.createDoc(a, "systems", name, example(t, name))
		for _, fw := range []string{"nist-800-53-r5", "iso-27001-2022"} {
			r := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(d.ID) + "/matrix?framework=" + fw, token: a.tokens[demarc.RoleViewer]})
			if want := localMatrix(t, name, fw); !bytes.Equal(r.body, want) {
				t.Errorf("%s %s: the API's matrix differs from the command line's (%d vs %d bytes)", name, fw, len(r.body), len(want))
			}
		}
	}
}

// Reads are cached by content: a second read is a cache hit with the same
// ETag, If-None-Match answers 304, and a new version changes the answer
// at once.
func TestMatrixCacheFollowsChanges(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	d := e.webshop(a)
	path := "/api/v1/orgs/acme/systems/" + string(d.ID) + "/matrix?format=csv"
	tok := a.tokens[demarc.RoleViewer]
	first := e.must(200, req{method: "GET", path: path, token: tok})
	hits := e.srv.metrics.cacheHits.Load()
	second := e.must(200, req{method: "GET", path: path, token: tok})
	if e.srv.metrics.cacheHits.Load() <= hits || first.header.Get("ETag") != second.header.Get("ETag") || !bytes.Equal(first.body, second.body) {
		t.Fatal("the second read was not served from the cache")
	}
	if ct := first.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	e.must(304, req{method: "GET", path: path, token: tok, headers: map[string]string{"If-None-Match": first.header.Get("ETag")}})
	// Move the cluster to Lambda: the matrix must change.
	content := strings.Replace(example(t, "serverless-webshop.yaml"), "service: aws/eks", "service: aws/ec2", 1)
	e.must(200, req{method: "PUT", path: "/api/v1/orgs/acme/systems/" + string(d.ID), token: a.tokens[demarc.RoleEditor], body: DocumentRequest{Content: content}, headers: map[string]string{"If-Match": `"v1"`}})
	third := e.must(200, req{method: "GET", path: path, token: tok, headers: map[string]string{"If-None-Match": first.header.Get("ETag")}})
	if bytes.Equal(third.body, first.body) {
		t.Fatal("the matrix did not change with the system")
	}
	old := e.must(200, req{method: "GET", path: path + "&version=1", token: tok})
	if !bytes.Equal(old.body, first.body) {
		t.Fatal("version 1's matrix changed")
	}
	var diff VersionDiff
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(d.ID) + "/diff", token: tok}).json(t, &diff)
	if diff.From != 1 || diff.To != 2 || len(diff.Diff.Components.Changed) != 1 || diff.Diff.Components.Changed[0].To != "aws/ec2" || len(diff.Diff.Areas) == 0 {
		t.Fatalf("diff: %+v", diff.Diff.Components)
	}
}

// A document that would not work is refused with the line and field of
// each problem, and nothing is stored.
func TestInvalidDocumentsAreRefused(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleEditor]
	cases := []struct {
		kind, content, want string
	}{
		{"systems", "name: x\ncomponents:\n  - name: api\n    service: aws/lambdaa\n", "aws/lambdaa"},
		{"systems", "name: x\ncomponents: [\n", "x"},
		{"systems", "name: x\nattestation_files: [missing.yaml]\ncomponents:\n  - name: api\n    service: aws/lambda\n", "missing.yaml"},
		{"systems", "name: x\ncomponents:\n  - name: api\n    service: cloudco/db\n", "cloudco/db"},
		{"attestations", "attestations: 3\n", "attestations"},
		{"providers", "areas:\n  - id: os.extra\n    layer: os\n    title: Extra\n    description: An extra area.\n", "providers only"},
		{"providers", "providers: []\n", "at least one provider"},
		{"providers", "providers:\n  - id: p\n    title: P\n    kind: cloud\n    services:\n      - id: p/s\n        title: S\n        model: nosuchmodel\n        category: compute\n", "nosuchmodel"},
	}
	for _, tc := range cases {
		before := heads(t, e, a)
		r := e.must(422, req{method: "POST", path: "/api/v1/orgs/acme/" + tc.kind, token: tok, body: DocumentRequest{Name: "bad", Content: tc.content}})
		var body ErrorBody
		r.json(t, &body)
		if body.Error.Code != demarc.EInvalid || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s %q: %s", tc.kind, tc.content, r)
		}
		if heads(t, e, a) != before {
			t.Errorf("%s %q: refused but written", tc.kind, tc.content)
		}
	}
	r := e.must(422, req{method: "POST", path: "/api/v1/orgs/acme/systems", token: tok, body: DocumentRequest{Name: "bad", Content: "name: x\ncomponents:\n  - name: api\n    service: aws/lambdaa\n"}})
	var body ErrorBody
	r.json(t, &body)
	if len(body.Error.Problems) == 0 || body.Error.Problems[0].Pos.Line != 3 {
		t.Errorf("problems should name line 3: %s", r)
	}
}

func heads(t testing.TB, e *env, tn *tenant) int64 {
	t.Helper()
	r, err := e.store.Verify(context.Background(), tn.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r.Head.Seq
}

// A provider publishes its statement; a customer subscribes, builds a
// system on it and has both parties sign the matrix off. The provider
// publishes a new version: the customer's matrix follows, the sign-off
// goes stale, and the customer reads what moved.
func TestPublishSubscribeSignOff(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testPublishSubscribeSignOff(t, b) })
	}
}

func testPublishSubscribeSignOff(t *testing.T, b backend) {
	e := newEnv(t, b, nil)
	acme, cloud := e.tenant("acme"), e.tenant("cloud")
	cloudAdmin, acmeAdmin := cloud.tokens[demarc.RoleAdmin], acme.tokens[demarc.RoleAdmin]
	stmt := e.createDoc(cloud, "providers", "cloudco", cloudStatement)
	var pub Published
	e.must(201, req{method: "POST", path: "/api/v1/orgs/cloud/providers/" + string(stmt.ID) + "/publish", token: cloudAdmin, body: PublishRequest{}}).json(t, &pub)
	if pub.Moved != nil || pub.Publication.Version != 1 {
		t.Fatalf("first publication: %+v", pub)
	}
	// The customer cannot build on it before subscribing.
	e.must(422, req{method: "POST", path: "/api/v1/orgs/acme/systems", token: acme.tokens[demarc.RoleEditor], body: DocumentRequest{Name: "shop", Content: strings.Replace(shopSystem, "  - name: runtime\n    service: acme-platform/runtime\n", "", 1)}})
	var sub demarc.Subscription
	e.must(201, req{method: "POST", path: "/api/v1/orgs/acme/subscriptions", token: acmeAdmin, body: SubscribeRequest{Publication: pub.Publication.ID}}).json(t, &sub)
	e.createDoc(acme, "attestations", "aws-register", example(t, "attestations/aws-sample.yaml"))
	sys := e.createDoc(acme, "systems", "shop", strings.Replace(shopSystem, "  - name: runtime\n    service: acme-platform/runtime\n", "", 1))
	matrixPath := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/matrix"
	before := e.must(200, req{method: "GET", path: matrixPath, token: acme.tokens[demarc.RoleViewer]})

	var entry LibraryEntry
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/library/entries/cloudco/db", token: acme.tokens[demarc.RoleViewer]}).json(t, &entry)
	if entry.Service == nil || entry.Source == nil || entry.Source.Publication == nil || entry.Source.Publication.ID != pub.Publication.ID {
		t.Fatalf("library entry: %+v", entry)
	}
	rival := e.tenant("rival")
	e.must(404, req{method: "GET", path: "/api/v1/orgs/rival/library/entries/cloudco/db", token: rival.tokens[demarc.RoleViewer]})

	var so SignoffView
	e.must(201, req{method: "POST", path: "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/signoffs", token: acme.tokens[demarc.RoleEditor], body: SignoffRequest{}}).json(t, &so)
	if len(so.Parties) != 2 || so.Parties[0] != acme.org.ID || so.Parties[1] != cloud.org.ID || so.State != demarc.SignoffPending {
		t.Fatalf("sign-off: %+v", so)
	}
	var m demarc.Matrix
	matrix := e.must(200, req{method: "GET", path: "/api/v1/orgs/cloud/signoffs/" + string(so.ID) + "/matrix", token: cloud.tokens[demarc.RoleViewer]})
	matrix.json(t, &m)
	if demarc.HashContent(matrix.body) != so.MatrixHash || !bytes.Equal(matrix.body, before.body) {
		t.Fatal("the provider reads another matrix than the one signed")
	}
	e.must(412, req{method: "POST", path: "/api/v1/orgs/acme/signoffs/" + string(so.ID) + "/sign", token: acmeAdmin, body: SignRequest{MatrixHash: demarc.HashContent([]byte("other"))}})
	e.must(200, req{method: "POST", path: "/api/v1/orgs/acme/signoffs/" + string(so.ID) + "/sign", token: acmeAdmin, body: SignRequest{MatrixHash: so.MatrixHash}})
	e.must(409, req{method: "POST", path: "/api/v1/orgs/acme/signoffs/" + string(so.ID) + "/sign", token: acmeAdmin, body: SignRequest{MatrixHash: so.MatrixHash}})
	e.must(200, req{method: "POST", path: "/api/v1/orgs/cloud/signoffs/" + string(so.ID) + "/sign", token: cloudAdmin, body: SignRequest{MatrixHash: so.MatrixHash}}).json(t, &so)
	if so.State != demarc.SignoffComplete {
		t.Fatalf("after both parties signed: %s", so.State)
	}

	// The provider moves backups to itself and publishes version 2.
	e.must(200, req{method: "PUT", path: "/api/v1/orgs/cloud/providers/" + string(stmt.ID), token: cloud.tokens[demarc.RoleEditor],
		body: DocumentRequest{Content: cloudStatementV2, Note: "we back up now"}, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(201, req{method: "POST", path: "/api/v1/orgs/cloud/providers/" + string(stmt.ID) + "/publish", token: cloudAdmin, body: PublishRequest{}}).json(t, &pub)
	if pub.Moved == nil || !movedBackup(pub.Moved) {
		t.Fatalf("publishing version 2 should say data.backup on cloudco/db moved to the provider: %+v", pub.Moved)
	}
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/subscriptions/" + string(sub.ID), token: acme.tokens[demarc.RoleViewer]}).json(t, &sub)
	if sub.Published != 2 || sub.Acknowledged != 1 {
		t.Fatalf("subscription: published %d acknowledged %d", sub.Published, sub.Acknowledged)
	}
	var news StatementDiff
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/subscriptions/" + string(sub.ID) + "/changes", token: acme.tokens[demarc.RoleViewer]}).json(t, &news)
	if news.From != 1 || news.To != 2 || !movedBackup(&news) {
		t.Fatalf("subscription news: %+v", news)
	}
	after := e.must(200, req{method: "GET", path: matrixPath, token: acme.tokens[demarc.RoleViewer]})
	if bytes.Equal(before.body, after.body) {
		t.Fatal("the customer's matrix did not follow the provider's new statement")
	}
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/signoffs/" + string(so.ID), token: acme.tokens[demarc.RoleViewer]}).json(t, &so)
	if so.State != demarc.SignoffStale || !strings.Contains(so.StaleReason, "version 2") {
		t.Fatalf("sign-off after the provider moved: %s (%s)", so.State, so.StaleReason)
	}
	e.must(200, req{method: "POST", path: "/api/v1/orgs/acme/subscriptions/" + string(sub.ID) + "/acknowledge", token: acme.tokens[demarc.RoleEditor], body: AcknowledgeRequest{}}).json(t, &sub)
	if sub.Acknowledged != 2 {
		t.Fatalf("acknowledged %d", sub.Acknowledged)
	}
	// A new sign-off on the new statement; then the customer changes the
	// system, and it goes stale too.
	e.must(201, req{method: "POST", path: "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/signoffs", token: acme.tokens[demarc.RoleEditor], body: SignoffRequest{}}).json(t, &so)
	if len(so.Publications) != 1 || so.Publications[0].Version != 2 {
		t.Fatalf("new sign-off built on %+v", so.Publications)
	}
	e.must(200, req{method: "PUT", path: "/api/v1/orgs/acme/systems/" + string(sys.ID), token: acme.tokens[demarc.RoleEditor],
		body: DocumentRequest{Content: shopSystemWithout("runtime") + "# v2\n"}, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(200, req{method: "GET", path: "/api/v1/orgs/cloud/signoffs/" + string(so.ID), token: cloud.tokens[demarc.RoleViewer]}).json(t, &so)
	if so.State != demarc.SignoffStale {
		t.Fatalf("sign-off after the system changed: %s", so.State)
	}
	var ver Verification
	for _, tn := range []*tenant{acme, cloud} {
		e.must(200, req{method: "GET", path: "/api/v1/orgs/" + tn.org.Slug + "/audit/verify", token: tn.tokens[demarc.RoleAuditor]}).json(t, &ver)
		if !ver.OK || ver.Events < 5 {
			t.Errorf("%s audit: %+v", tn.org.Slug, ver)
		}
	}
}

func shopSystemWithout(component string) string {
	return strings.Replace(shopSystem, "  - name: runtime\n    service: acme-platform/runtime\n", "", 1)
}

func movedBackup(d *StatementDiff) bool {
	for _, c := range d.Diff.Areas {
		if c.Component == "cloudco/db" && c.Area == "data.backup" && c.To == demarc.OwnerProvider {
			return true
		}
	}
	return false
}

// Members: only an owner makes or changes an owner; the last owner
// stays; removing a member ends its tokens at once.
func TestMembersAndTokens(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	admin, owner := a.tokens[demarc.RoleAdmin], a.tokens[demarc.RoleOwner]
	r := e.must(403, req{method: "POST", path: "/api/v1/orgs/acme/members", token: admin, body: demarc.MemberInput{Email: "o2@acme.example", Name: "O2", Role: demarc.RoleOwner}})
	if !strings.Contains(r.errorCode(), "forbidden") {
		t.Error(r)
	}
	e.must(403, req{method: "PATCH", path: "/api/v1/orgs/acme/members/" + string(a.members[demarc.RoleOwner].ID), token: admin, body: map[string]string{"name": "x"}, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(409, req{method: "PATCH", path: "/api/v1/orgs/acme/members/" + string(a.members[demarc.RoleOwner].ID), token: owner, body: map[string]string{"role": "admin"}, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(422, req{method: "PATCH", path: "/api/v1/orgs/acme/members/" + string(a.members[demarc.RoleViewer].ID), token: owner, body: map[string]string{"role": "king"}, headers: map[string]string{"If-Match": `"v1"`}})

	// A token is shown once, works, and dies with its member.
	var nt NewToken
	e.must(201, req{method: "POST", path: "/api/v1/orgs/acme/tokens", token: admin, body: TokenRequest{Name: "ci", Member: a.members[demarc.RoleViewer].ID}}).json(t, &nt)
	if !strings.HasPrefix(nt.Secret, demarc.TokenPrefix) {
		t.Fatalf("secret %q", nt.Secret)
	}
	got := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/tokens/" + string(nt.ID), token: admin})
	if strings.Contains(string(got.body), nt.Secret) || strings.Contains(string(got.body), "secret") {
		t.Fatal("the secret is shown again")
	}
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: nt.Secret})
	e.must(403, req{method: "POST", path: "/api/v1/orgs/acme/tokens", token: admin, body: TokenRequest{Name: "x", Member: a.members[demarc.RoleOwner].ID}})
	e.must(422, req{method: "POST", path: "/api/v1/orgs/acme/tokens", token: admin, body: TokenRequest{Name: "x", Expires: time.Now().Add(-time.Hour)}})
	e.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/members/" + string(a.members[demarc.RoleViewer].ID), token: admin, headers: map[string]string{"If-Match": `"v1"`}})
	r = e.must(401, req{method: "GET", path: "/api/v1/orgs/acme", token: nt.Secret})
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	// Revoking takes effect at once, cache or not.
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleEditor]})
	var toks List[demarc.Token]
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/tokens?member=" + string(a.members[demarc.RoleEditor].ID), token: admin}).json(t, &toks)
	tk := toks.Items[0]
	e.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/tokens/" + string(tk.ID), token: admin, headers: map[string]string{"If-Match": tokenTag(&tk)}})
	e.must(401, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleEditor]})
}

// Creating an organisation with a token makes the caller its owner and
// hands back a token for it.
func TestCreateOrganisation(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	var out OrgCreated
	e.must(201, req{method: "POST", path: "/api/v1/orgs", token: a.tokens[demarc.RoleViewer], body: OrgRequest{Slug: "acme-labs", Name: "Acme Labs"}}).json(t, &out)
	if out.Owner.Role != demarc.RoleOwner || out.Owner.Email != a.members[demarc.RoleViewer].Email || out.Token == nil {
		t.Fatalf("created: %+v", out)
	}
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme-labs/members", token: out.Token.Secret})
	e.must(404, req{method: "GET", path: "/api/v1/orgs/acme-labs", token: a.tokens[demarc.RoleViewer]})
	e.must(409, req{method: "POST", path: "/api/v1/orgs", token: a.tokens[demarc.RoleViewer], body: OrgRequest{Slug: "acme-labs", Name: "Again"}})
	e.must(422, req{method: "POST", path: "/api/v1/orgs", token: a.tokens[demarc.RoleViewer], body: OrgRequest{Slug: "Bad Slug", Name: "x"}})
	e.must(400, req{method: "POST", path: "/api/v1/orgs", token: a.tokens[demarc.RoleViewer], body: OrgRequest{Slug: "other", Name: "x", Owner: &demarc.MemberInput{Email: "x@y.z", Name: "x"}}})
}

// The audit trail pages with a cursor, filters by action, and a verify
// names an event altered behind the store's back.
func TestAuditTrailThroughTheAPI(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	for i := 0; i < 7; i++ {
		e.createDoc(a, "attestations", fmt.Sprintf("r%d", i), example(t, "attestations/aws-sample.yaml"))
	}
	tok := a.tokens[demarc.RoleAuditor]
	var all []demarc.Event
	path := "/api/v1/orgs/acme/audit/events?limit=4"
	for {
		var page List[demarc.Event]
		e.must(200, req{method: "GET", path: path, token: tok}).json(t, &page)
		all = append(all, page.Items...)
		if page.Next == "" {
			break
		}
		path = "/api/v1/orgs/acme/audit/events?limit=4&after=" + page.Next
	}
	if int64(len(all)) != heads(t, e, a) {
		t.Fatalf("paged %d events, head is %d", len(all), heads(t, e, a))
	}
	for i, ev := range all {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	var created List[demarc.Event]
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/audit/events?action=document.create", token: tok}).json(t, &created)
	if len(created.Items) != 7 {
		t.Errorf("%d document.create events", len(created.Items))
	}
	var ver Verification
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/audit/verify", token: tok}).json(t, &ver)
	if !ver.OK {
		t.Fatalf("verify: %+v", ver.Problems)
	}
	db := rawSQLite(t, e)
	if _, err := db.Exec(`UPDATE audit_events SET detail = 'nothing happened' WHERE org_id = $1 AND seq = 9`, a.org.ID); err != nil {
		t.Fatal(err)
	}
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/audit/verify", token: tok}).json(t, &ver)
	if ver.OK || len(ver.Problems) == 0 || ver.Problems[0].Seq != 9 || ver.Problems[0].Kind != demarc.TamperAltered {
		t.Fatalf("verify after tampering: %+v", ver)
	}
}

// A --local server needs no credentials, acts as the owner, and will not
// listen anywhere but 127.0.0.1.
func TestLocalMode(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, func(c *Config) { c.Local = true })
	a := e.tenant("acme")
	var me Me
	e.must(200, req{method: "GET", path: "/api/v1/me"}).json(t, &me)
	if me.Via != viaLocal || len(me.Memberships) != 1 || me.Memberships[0].Member.ID != a.members[demarc.RoleOwner].ID {
		t.Fatalf("me: %+v", me)
	}
	d := e.createDoc(a, "systems", "shop", "name: shop\ncomponents:\n  - name: api\n    service: aws/lambda\n")
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(d.ID) + "/matrix"})
	var events List[demarc.Event]
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/audit/events?action=document.create"}).json(t, &events)
	if events.Items[0].Actor.Member != a.members[demarc.RoleOwner].ID {
		t.Errorf("a local change is recorded as %v", events.Items[0].Actor)
	}
	for _, addr := range []string{"0.0.0.0:0", "[::1]:0", "localhost:0"} {
		if err := LocalAddr(addr); err == nil {
			t.Errorf("--local accepted %s", addr)
		}
	}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err == nil {
		err = e.srv.Serve(context.Background(), ln, time.Second)
		ln.Close()
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("Serve on %s: %v", ln.Addr(), err)
		}
	}
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln, time.Second) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
}

// Each token has its own bucket: one that exceeds its rate gets 429 with
// Retry-After, and another token is not slowed down.
func TestRateLimitPerToken(t *testing.T) {
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	e := newEnv(t, backend{"sqlite", openSQLite}, func(c *Config) {
		c.NoRateLimit = false
		c.RateLimit = Rate{PerSecond: 1, Burst: 3}
		c.Now = now
	})
	a := e.tenant("acme")
	for i := 0; i < 3; i++ {
		e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleViewer]})
	}
	r := e.must(429, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleViewer]})
	if r.header.Get("Retry-After") == "" || r.errorCode() != ERateLimited {
		t.Errorf("429: %s", r)
	}
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleEditor]})
	mu.Lock()
	clock = clock.Add(1100 * time.Millisecond)
	mu.Unlock()
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleViewer]})
	// Guessing tokens is limited per address.
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		limited = e.do(req{method: "GET", path: "/api/v1/orgs/acme", token: "dmc_guess"}).status == 429
	}
	if !limited {
		t.Error("bad tokens from one address were never limited")
	}
}

// Operators get metrics, request ids and security headers.
func TestOperations(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	r := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: a.tokens[demarc.RoleViewer], headers: map[string]string{"X-Request-Id": "abc-123"}})
	if r.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id %q", r.header.Get("X-Request-Id"))
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"} {
		if r.header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	r = e.must(200, req{method: "GET", path: "/api/v1/orgs/acme", headers: map[string]string{"X-Request-Id": "bad id; drop"}, token: a.tokens[demarc.RoleViewer]})
	if id := r.header.Get("X-Request-Id"); id == "" || strings.ContainsAny(id, " ;") {
		t.Errorf("unsafe request id kept: %q", id)
	}
	m := e.must(200, req{method: "GET", path: "/metrics"})
	for _, want := range []string{`demarc_http_requests_total{route="GET /api/v1/orgs/{org}",status="200"} 2`, "# TYPE demarc_http_request_duration_seconds histogram", "demarc_store_changes_total"} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	e.must(200, req{method: "GET", path: "/readyz"})
}

// A system's answers follow the attestation registers it names: a new
// version of a register changes its gaps. A register a system names can
// be neither deleted nor renamed until no system names it.
func TestRegistersReachAnalyses(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	reg := e.createDoc(a, "attestations", "attestations/aws-sample.yaml", example(t, "attestations/aws-sample.yaml"))
	sys := e.createDoc(a, "systems", "webshop", example(t, "serverless-webshop.yaml"))
	gaps := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/gaps?as_of=2026-11-25&kind=unsupported-inheritance"
	tok := a.tokens[demarc.RoleViewer]
	var before, after render.GapReport
	e.must(200, req{method: "GET", path: gaps, token: tok}).json(t, &before)
	e.must(200, req{method: "PUT", path: "/api/v1/orgs/acme/attestations/" + string(reg.ID), token: a.tokens[demarc.RoleEditor],
		body: DocumentRequest{Content: strings.Replace(example(t, "attestations/aws-sample.yaml"), "services: [aws/lambda, aws/dynamodb, aws/s3, aws/api-gateway, aws/eks", "services: [aws/dynamodb, aws/s3, aws/api-gateway, aws/eks", 1)}, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(200, req{method: "GET", path: gaps, token: tok}).json(t, &after)
	if len(after.Gaps) <= len(before.Gaps) {
		t.Fatalf("taking lambda out of the FedRAMP authorisation should add an unsupported-inheritance gap: %d before, %d after", len(before.Gaps), len(after.Gaps))
	}
	regPath := "/api/v1/orgs/acme/attestations/" + string(reg.ID)
	r := e.must(409, req{method: "DELETE", path: regPath, token: a.tokens[demarc.RoleEditor], headers: map[string]string{"If-Match": `"v2"`}})
	if !strings.Contains(string(r.body), "webshop") {
		t.Fatalf("deleting a register a system names: %s", r)
	}
	e.must(409, req{method: "PUT", path: regPath, token: a.tokens[demarc.RoleEditor], headers: map[string]string{"If-Match": `"v2"`},
		body: DocumentRequest{Name: "renamed", Content: example(t, "attestations/aws-sample.yaml")}})
	e.must(200, req{method: "GET", path: gaps, token: tok})
	e.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/systems/" + string(sys.ID), token: a.tokens[demarc.RoleEditor], headers: map[string]string{"If-Match": `"v1"`}})
	e.must(204, req{method: "DELETE", path: regPath, token: a.tokens[demarc.RoleEditor], headers: map[string]string{"If-Match": `"v2"`}})
}
