package server

import (
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

// A provider statement whose services a live system uses cannot be
// deleted; the refusal names the system. Once the system is gone, it can.
func TestStatementInUseIsNotDeleted(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	stmt := e.createDoc(a, "providers", "internal", "providers:\n  - id: acme-internal\n    title: Acme internal\n    kind: generic\n    services:\n      - id: acme-internal/run\n        title: Run\n        model: paas\n        category: compute\n")
	unused := e.createDoc(a, "providers", "unused", "providers:\n  - id: acme-spare\n    title: Spare\n    kind: generic\n    services: []\n")
	sys := e.createDoc(a, "systems", "app", "name: app\ncomponents:\n  - name: api\n    service: acme-internal/run\n")
	editor := a.tokens[demarc.RoleEditor]
	r := e.must(409, req{method: "DELETE", path: "/api/v1/orgs/acme/providers/" + string(stmt.ID), token: editor, headers: map[string]string{"If-Match": `"v1"`}})
	if !strings.Contains(string(r.body), `systems app use its services`) {
		t.Fatalf("deleting a statement in use: %s", r)
	}
	e.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/providers/" + string(unused.ID), token: editor, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/systems/" + string(sys.ID), token: editor, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/providers/" + string(stmt.ID), token: editor, headers: map[string]string{"If-Match": `"v1"`}})
}
