package server

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// Two replicas share one PostgreSQL database. A change made through one is
// visible through the other at once: its caches (matrices, tokens) follow
// the database's notifications, not a timer.
func TestReplicasSeeEachOthersChanges(t *testing.T) {
	if os.Getenv("DEMARC_TEST_POSTGRES") == "" {
		t.Skip("DEMARC_TEST_POSTGRES is not set")
	}
	schema := "demarc_replicas_" + strings.ToLower(demarc.NewID("t")[2+10:])
	dropSchema(t, schema)
	a := newEnv(t, backend{"postgres", func(t testing.TB) (demarc.Store, orgLister) { return openPostgresSchema(t, schema) }}, nil)
	b := newEnv(t, backend{"postgres", func(t testing.TB) (demarc.Store, orgLister) { return openPostgresSchema(t, schema) }}, nil)
	acme := a.tenant("acme")
	sys := a.webshop(acme)
	path := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/matrix?format=csv"
	viewer := acme.tokens[demarc.RoleViewer]
	before := b.must(200, req{method: "GET", path: path, token: viewer})
	b.must(200, req{method: "GET", path: path, token: viewer}) // now cached on b

	content := strings.Replace(example(t, "serverless-webshop.yaml"), "service: aws/eks", "service: aws/ec2", 1)
	a.must(200, req{method: "PUT", path: "/api/v1/orgs/acme/systems/" + string(sys.ID), token: acme.tokens[demarc.RoleEditor],
		body: DocumentRequest{Content: content}, headers: map[string]string{"If-Match": `"v1"`}})
	start := time.Now()
	waitFor(t, "replica b to serve the new matrix", func() bool {
		return !bytes.Equal(b.must(200, req{method: "GET", path: path, token: viewer}).body, before.body)
	})
	t.Logf("replica b served the change after %v", time.Since(start))

	// A token revoked through a is refused by b, whose authentication
	// cache had it.
	b.must(200, req{method: "GET", path: "/api/v1/orgs/acme", token: acme.tokens[demarc.RoleEditor]})
	var toks List[demarc.Token]
	a.must(200, req{method: "GET", path: "/api/v1/orgs/acme/tokens?member=" + string(acme.members[demarc.RoleEditor].ID), token: acme.tokens[demarc.RoleOwner]}).json(t, &toks)
	a.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/tokens/" + string(toks.Items[0].ID), token: acme.tokens[demarc.RoleOwner], headers: map[string]string{"If-Match": tokenTag(&toks.Items[0])}})
	waitFor(t, "replica b to refuse the revoked token", func() bool {
		return b.do(req{method: "GET", path: "/api/v1/orgs/acme", token: acme.tokens[demarc.RoleEditor]}).status == 401
	})
	if b.srv.metrics.changes.Load() == 0 {
		t.Error("replica b received no change notifications")
	}
}

// waitFor polls cond for up to two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 2s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
