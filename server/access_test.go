package server

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

// Role sets of the expectations, written out independently of the route
// table so that a wrong entry there fails here.
var (
	everyone  = []demarc.Role{"owner", "admin", "editor", "viewer", "auditor"}
	managers  = []demarc.Role{"owner", "admin"}
	writers   = []demarc.Role{"owner", "admin", "editor"}
	onlyOwner = []demarc.Role{"owner"}
	trail     = []demarc.Role{"owner", "admin", "auditor"}
)

// accessCase is one route called in the access test.
type accessCase struct {
	// build makes the request on acme's records; who names the caller,
	// for bodies that must differ per caller.
	build   func(fx *fixture, who string) req
	allowed []demarc.Role // acme's roles that succeed
	status  int           // their status
	// mutates: a success changes what other callers would see, so each
	// successful caller gets a fresh fixture.
	mutates bool
	// cross makes the same request in the rival's own organisation but
	// naming acme's records; nil when the route names no record.
	cross func(fx *fixture) req
	// crossStatus is what a rival role the route admits gets for cross;
	// 0 means 404. Roles the route does not admit get 403.
	crossStatus int
}

func get(path func(fx *fixture) string) func(*fixture, string) req {
	return func(fx *fixture, _ string) req { return req{method: "GET", path: path(fx)} }
}

func acme(p string) func(*fixture) string { return func(fx *fixture) string { return fx.acmePath(p) } }

// crossGet is a GET on the rival's path with an acme record.
func crossGet(p func(fx *fixture) string) func(*fixture) req {
	return func(fx *fixture) req { return req{method: "GET", path: p(fx)} }
}

// accessCases names every route by operation id.
func accessCases() map[string]accessCase {
	sys := func(fx *fixture) string { return "/systems/" + string(fx.system) }
	cases := map[string]accessCase{
		"me": {build: get(func(*fixture) string { return "/api/v1/me" }), allowed: everyone, status: 200},
		"createOrg": {build: func(fx *fixture, who string) req {
			return req{method: "POST", path: "/api/v1/orgs", body: OrgRequest{Slug: "new-" + who, Name: "New " + who}}
		}, allowed: everyone, status: 201},
		"getOrg": {build: get(acme("")), allowed: everyone, status: 200},
		"updateOrg": {build: func(fx *fixture, _ string) req {
			return req{method: "PATCH", path: fx.acmePath(""), body: map[string]string{"name": "Acme renamed"}, headers: map[string]string{"If-Match": versionTag(fx.acme.org.Version)}}
		}, allowed: onlyOwner, status: 200, mutates: true},
		"listMembers": {build: get(acme("/members")), allowed: everyone, status: 200},
		"addMember": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath("/members"), body: demarc.MemberInput{Email: "new@acme.example", Name: "New", Role: demarc.RoleEditor}}
		}, allowed: managers, status: 201, mutates: true},
		"getMember": {build: func(fx *fixture, _ string) req {
			return req{method: "GET", path: fx.acmePath("/members/" + string(fx.viewer.ID))}
		},
			allowed: everyone, status: 200, cross: func(fx *fixture) req {
				return req{method: "GET", path: fx.rivalPath("/members/" + string(fx.viewer.ID))}
			}},
		"updateMember": {build: func(fx *fixture, _ string) req {
			return req{method: "PATCH", path: fx.acmePath("/members/" + string(fx.viewer.ID)), body: map[string]string{"role": "auditor"}, headers: map[string]string{"If-Match": `"v1"`}}
		}, allowed: managers, status: 200, mutates: true, cross: func(fx *fixture) req {
			return req{method: "PATCH", path: fx.rivalPath("/members/" + string(fx.viewer.ID)), body: map[string]string{"role": "auditor"}, headers: map[string]string{"If-Match": `"v1"`}}
		}},
		"removeMember": {build: func(fx *fixture, _ string) req {
			return req{method: "DELETE", path: fx.acmePath("/members/" + string(fx.viewer.ID)), headers: map[string]string{"If-Match": `"v1"`}}
		}, allowed: managers, status: 204, mutates: true, cross: func(fx *fixture) req {
			return req{method: "DELETE", path: fx.rivalPath("/members/" + string(fx.viewer.ID)), headers: map[string]string{"If-Match": `"v1"`}}
		}},
		"listTokens": {build: get(acme("/tokens")), allowed: everyone, status: 200},
		"createToken": {build: func(fx *fixture, who string) req {
			return req{method: "POST", path: fx.acmePath("/tokens"), body: TokenRequest{Name: "ci " + who}}
		}, allowed: everyone, status: 201},
		"getToken": {build: func(fx *fixture, _ string) req {
			return req{method: "GET", path: fx.acmePath("/tokens/" + string(fx.ownerToken.ID))}
		},
			allowed: managers, status: 200, cross: func(fx *fixture) req {
				return req{method: "GET", path: fx.rivalPath("/tokens/" + string(fx.ownerToken.ID))}
			}},
		"revokeToken": {build: func(fx *fixture, _ string) req {
			return req{method: "DELETE", path: fx.acmePath("/tokens/" + string(fx.ownerToken.ID)), headers: map[string]string{"If-Match": fx.ownerTag}}
		}, allowed: managers, status: 204, mutates: true, cross: func(fx *fixture) req {
			return req{method: "DELETE", path: fx.rivalPath("/tokens/" + string(fx.ownerToken.ID)), headers: map[string]string{"If-Match": fx.ownerTag}}
		}},

		"diffSystem":       analysisCase(sys, "/diff"),
		"matrix":           analysisCase(sys, "/matrix?format=csv"),
		"explain":          analysisCase(sys, "/explain/si-2"),
		"gaps":             analysisCase(sys, "/gaps?as_of=2026-11-25"),
		"incidents":        analysisCase(sys, "/incidents"),
		"telemetry":        analysisCase(sys, "/telemetry"),
		"risk":             analysisCase(sys, "/risk"),
		"exportOSCALSSP":   analysisCase(sys, "/exports/oscal-ssp?as_of=2026-11-25"),
		"exportFedRAMP":    analysisCase(sys, "/exports/fedramp-crm?baseline=low&format=json"),
		"exportReport":     analysisCase(sys, "/exports/report"),
		"exportMatrixXLSX": analysisCase(sys, "/exports/matrix-xlsx"),
		"requestSignoff": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath(sys(fx) + "/signoffs"), body: SignoffRequest{}}
		}, allowed: writers, status: 201, cross: func(fx *fixture) req {
			return req{method: "POST", path: fx.rivalPath(sys(fx) + "/signoffs"), body: SignoffRequest{}}
		}},
		"publish": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath("/providers/" + string(fx.provider) + "/publish"), body: PublishRequest{}}
		}, allowed: managers, status: 201, mutates: true, cross: func(fx *fixture) req {
			return req{method: "POST", path: fx.rivalPath("/providers/" + string(fx.provider) + "/publish"), body: PublishRequest{}}
		}},

		"listLibrary":     {build: get(acme("/library/services")), allowed: everyone, status: 200},
		"getLibraryEntry": {build: get(acme("/library/entries/cloudco/db")), allowed: everyone, status: 200},

		"listPublications": {build: get(acme("/publications")), allowed: everyone, status: 200},
		"getPublication":   pubCase("", 200),
		"withdraw": {build: func(fx *fixture, _ string) req {
			return req{method: "DELETE", path: fx.acmePath("/publications/" + string(fx.pub)), headers: map[string]string{"If-Match": fx.pubTag}}
		}, allowed: managers, status: 204, mutates: true, crossStatus: 403, cross: func(fx *fixture) req {
			return req{method: "DELETE", path: fx.rivalPath("/publications/" + string(fx.pub)), headers: map[string]string{"If-Match": fx.pubTag}}
		}},
		"publicationVersions": pubCase("/versions", 200),
		"publicationVersion":  pubCase("/versions/1", 200),
		"publicationDiff":     pubCase("/diff", 200),
		"subscribers":         pubCase("/subscribers", 403),

		"listSubscriptions": {build: get(acme("/subscriptions")), allowed: everyone, status: 200},
		"subscribe": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath("/subscriptions"), body: SubscribeRequest{Publication: fx.otherPub}}
		}, allowed: managers, status: 201, mutates: true},
		"getSubscription": {build: func(fx *fixture, _ string) req {
			return req{method: "GET", path: fx.acmePath("/subscriptions/" + string(fx.sub))}
		},
			allowed: everyone, status: 200, cross: func(fx *fixture) req {
				return req{method: "GET", path: fx.rivalPath("/subscriptions/" + string(fx.sub))}
			}},
		"acknowledge": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath("/subscriptions/" + string(fx.sub) + "/acknowledge"), body: AcknowledgeRequest{}}
		}, allowed: writers, status: 200, mutates: true, cross: func(fx *fixture) req {
			return req{method: "POST", path: fx.rivalPath("/subscriptions/" + string(fx.sub) + "/acknowledge"), body: AcknowledgeRequest{}}
		}},
		"unsubscribe": {build: func(fx *fixture, _ string) req {
			return req{method: "DELETE", path: fx.acmePath("/subscriptions/" + string(fx.sub)), headers: map[string]string{"If-Match": fx.subTag}}
		}, allowed: managers, status: 204, mutates: true, cross: func(fx *fixture) req {
			return req{method: "DELETE", path: fx.rivalPath("/subscriptions/" + string(fx.sub)), headers: map[string]string{"If-Match": fx.subTag}}
		}},
		"subscriptionChanges": {build: func(fx *fixture, _ string) req {
			return req{method: "GET", path: fx.acmePath("/subscriptions/" + string(fx.sub) + "/changes")}
		}, allowed: everyone, status: 200, cross: func(fx *fixture) req {
			return req{method: "GET", path: fx.rivalPath("/subscriptions/" + string(fx.sub) + "/changes")}
		}},

		"listSignoffs": {build: get(acme("/signoffs")), allowed: everyone, status: 200},
		"getSignoff": {build: func(fx *fixture, _ string) req {
			return req{method: "GET", path: fx.acmePath("/signoffs/" + string(fx.signoff))}
		},
			allowed: everyone, status: 200, cross: func(fx *fixture) req {
				return req{method: "GET", path: fx.rivalPath("/signoffs/" + string(fx.signoff))}
			}},
		"signoffMatrix": {build: func(fx *fixture, _ string) req {
			return req{method: "GET", path: fx.acmePath("/signoffs/" + string(fx.signoff) + "/matrix")}
		}, allowed: everyone, status: 200, cross: func(fx *fixture) req {
			return req{method: "GET", path: fx.rivalPath("/signoffs/" + string(fx.signoff) + "/matrix")}
		}},
		"sign": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath("/signoffs/" + string(fx.signoff) + "/sign"), body: SignRequest{MatrixHash: fx.matrixHash}}
		}, allowed: managers, status: 200, mutates: true, cross: func(fx *fixture) req {
			return req{method: "POST", path: fx.rivalPath("/signoffs/" + string(fx.signoff) + "/sign"), body: SignRequest{MatrixHash: fx.matrixHash}}
		}},

		"auditEvents": {build: get(acme("/audit/events")), allowed: trail, status: 200},
		"auditVerify": {build: get(acme("/audit/verify")), allowed: trail, status: 200},
	}
	for _, k := range []struct{ path, one string }{{"systems", "system"}, {"attestations", "register"}, {"providers", "spare"}} {
		k := k
		id := func(fx *fixture) string {
			switch k.path {
			case "systems":
				return string(fx.system)
			case "attestations":
				return string(fx.spareRegister) // a register a system names cannot be deleted
			}
			return string(fx.spare)
		}
		content := func(fx *fixture, who string) string {
			switch k.path {
			case "systems":
				return strings.Replace(shopSystem, "name: shop", "name: shop-"+who, 1)
			case "attestations":
				return example(fx.e.t, "attestations/aws-sample.yaml")
			}
			return "providers:\n  - id: extra-" + who + "\n    title: Extra\n    kind: generic\n    services: []\n"
		}
		one := func(p string) func(*fixture, string) req {
			return func(fx *fixture, _ string) req {
				return req{method: "GET", path: fx.acmePath("/" + k.path + "/" + id(fx) + p)}
			}
		}
		crossOne := func(p string) func(*fixture) req {
			return func(fx *fixture) req { return req{method: "GET", path: fx.rivalPath("/" + k.path + "/" + id(fx) + p)} }
		}
		cases["list-"+k.path] = accessCase{build: get(acme("/" + k.path)), allowed: everyone, status: 200}
		cases["create-"+k.path] = accessCase{build: func(fx *fixture, who string) req {
			return req{method: "POST", path: fx.acmePath("/" + k.path), body: DocumentRequest{Name: k.one + "-" + who, Content: content(fx, who)}}
		}, allowed: writers, status: 201}
		cases["get-"+k.path] = accessCase{build: one(""), allowed: everyone, status: 200, cross: crossOne("")}
		cases["update-"+k.path] = accessCase{build: func(fx *fixture, who string) req {
			return req{method: "PUT", path: fx.acmePath("/" + k.path + "/" + id(fx)), body: DocumentRequest{Content: content(fx, who) + "# changed\n"}, headers: map[string]string{"If-Match": `"v1"`}}
		}, allowed: writers, status: 200, mutates: true, cross: func(fx *fixture) req {
			return req{method: "PUT", path: fx.rivalPath("/" + k.path + "/" + id(fx)), body: DocumentRequest{Content: "x: 1\n"}, headers: map[string]string{"If-Match": `"v1"`}}
		}}
		cases["delete-"+k.path] = accessCase{build: func(fx *fixture, _ string) req {
			return req{method: "DELETE", path: fx.acmePath("/" + k.path + "/" + id(fx)), headers: map[string]string{"If-Match": `"v1"`}}
		}, allowed: writers, status: 204, mutates: true, cross: func(fx *fixture) req {
			return req{method: "DELETE", path: fx.rivalPath("/" + k.path + "/" + id(fx)), headers: map[string]string{"If-Match": `"v1"`}}
		}}
		cases["versions-"+k.path] = accessCase{build: one("/versions"), allowed: everyone, status: 200, cross: crossOne("/versions")}
		cases["version-"+k.path] = accessCase{build: one("/versions/1"), allowed: everyone, status: 200, cross: crossOne("/versions/1")}
	}
	maps.Copy(cases, insightAccessCases())
	maps.Copy(cases, transferAccessCases())
	return cases
}

func analysisCase(sys func(*fixture) string, p string) accessCase {
	return accessCase{build: func(fx *fixture, _ string) req { return req{method: "GET", path: fx.acmePath(sys(fx) + p)} },
		allowed: everyone, status: 200, cross: func(fx *fixture) req { return req{method: "GET", path: fx.rivalPath(sys(fx) + p)} }}
}

// pubCase reads acme's own publication, which every organisation may see:
// the rival gets crossStatus for it.
func pubCase(p string, crossStatus int) accessCase {
	return accessCase{build: func(fx *fixture, _ string) req {
		return req{method: "GET", path: fx.acmePath("/publications/" + string(fx.pub) + p)}
	},
		allowed: everyone, status: 200, crossStatus: crossStatus,
		cross: func(fx *fixture) req {
			return req{method: "GET", path: fx.rivalPath("/publications/" + string(fx.pub) + p)}
		}}
}

// publicRoutes need no credentials; without OIDC configured, sign-in
// answers 404.
var publicRoutes = map[string]int{"healthz": 200, "readyz": 200, "metrics": 200, "openapi": 200, "login": 404, "callback": 404, "logout": 204}

// caller is who makes a request in the access test.
type callerSpec struct {
	name  string
	token func(fx *fixture) string
	org   string // "acme", "rival" or "" for anonymous
	role  demarc.Role
}

func callers() []callerSpec {
	cs := []callerSpec{{name: "anonymous", token: func(*fixture) string { return "" }}}
	for _, org := range []string{"acme", "rival"} {
		for _, role := range demarc.Roles {
			org, role := org, role
			cs = append(cs, callerSpec{name: org + "-" + string(role), org: org, role: role, token: func(fx *fixture) string {
				if org == "acme" {
					return fx.acme.tokens[role]
				}
				return fx.rival.tokens[role]
			}})
		}
	}
	return cs
}

// TestEveryRouteAsEveryRole calls every route of the API as every role of
// the organisation it belongs to, as every role of a foreign one, and
// anonymously, and checks the exact set of callers that succeed. A
// foreign organisation sees 404 for everything of another's, exactly as
// for what does not exist, and its answers never hold another's ids. No
// refused request writes anything. Then every route that names a record
// is called in the rival's own organisation with acme's record: 404,
// except for publications, which are public by design.
func TestEveryRouteAsEveryRole(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testAccess(t, b) })
	}
}

func testAccess(t *testing.T, b backend) {
	cases := accessCases()
	probe := newEnv(t, b, nil)
	for _, rt := range probe.srv.routes {
		_, isCase := cases[rt.id]
		_, isPublic := publicRoutes[rt.id]
		if !isCase && !isPublic {
			t.Errorf("route %s %s (%s) has no access case", rt.method, rt.path, rt.id)
		}
	}
	ids := map[string]bool{}
	for _, rt := range probe.srv.routes {
		ids[rt.id] = true
	}
	for id := range cases {
		if !ids[id] {
			t.Errorf("access case %s names no route", id)
		}
	}
	shared := newFixture(t, newEnv(t, b, nil))
	for _, rt := range probe.srv.routes {
		if st, ok := publicRoutes[rt.id]; ok {
			r := shared.e.do(req{method: rt.method, path: strings.ReplaceAll(rt.path, "{", "x")})
			if r.status != st {
				t.Errorf("%s %s: got %s, want %d", rt.method, rt.path, r, st)
			}
			continue
		}
		rt, tc := rt, cases[rt.id]
		t.Run(rt.id, func(t *testing.T) {
			refused := shared
			if tc.mutates {
				refused = newFixture(t, newEnv(t, b, nil))
			}
			for _, c := range callers() {
				want := expectFor(tc, rt, c)
				fx := refused
				if tc.mutates && want == tc.status {
					fx = newFixture(t, newEnv(t, b, nil))
				}
				checkCall(t, fx, c, tc.build(fx, c.name), want)
			}
			if tc.cross == nil {
				return
			}
			fx := newFixture(t, newEnv(t, b, nil))
			for _, c := range callers() {
				if c.org != "rival" {
					continue
				}
				want := http.StatusForbidden
				if slices.Contains(rt.roles, c.role) {
					want = cmp(tc.crossStatus, http.StatusNotFound)
				}
				checkCall(t, fx, c, tc.cross(fx), want)
			}
		})
	}
}

func cmp(x, def int) int {
	if x == 0 {
		return def
	}
	return x
}

// expectFor is the status caller c must get for the case.
func expectFor(tc accessCase, rt *route, c callerSpec) int {
	switch {
	case c.org == "":
		return http.StatusUnauthorized
	case rt.identified:
		return tc.status
	case c.org == "rival":
		return http.StatusNotFound
	case slices.Contains(tc.allowed, c.role):
		return tc.status
	}
	return http.StatusForbidden
}

// checkCall makes the request as c and checks the status, that a refusal
// wrote nothing and has a clear error body, and that no answer to one
// organisation holds another's ids.
func checkCall(t *testing.T, fx *fixture, c callerSpec, q req, want int) {
	t.Helper()
	q.token = c.token(fx)
	before := fx.heads(t)
	r := fx.e.do(q)
	label := fmt.Sprintf("%s %s as %s", q.method, q.path, c.name)
	if r.status != want {
		t.Errorf("%s: got %s, want %d", label, r, want)
		return
	}
	switch {
	case q.method == "GET" && r.status == 200 && r.header.Get("ETag") == "":
		t.Errorf("%s: a read without an ETag", label)
	case q.method != "GET" && r.status < 300 && q.path != "/api/v1/orgs" && fx.heads(t) == before:
		t.Errorf("%s: a change with no audit event", label)
	}
	if r.status >= 400 {
		if r.errorCode() == "" {
			t.Errorf("%s: %d without an error body: %s", label, r.status, r.body)
		}
		if after := fx.heads(t); after != before {
			t.Errorf("%s: refused with %d but the audit trail moved: %s → %s", label, r.status, before, after)
		}
	}
	foreign := fx.rivalIDs
	if c.org == "rival" {
		foreign = fx.acmeIDs
	}
	asked := q.path + fmt.Sprint(q.body)
	for _, id := range foreign {
		if strings.Contains(string(r.body), id) && !strings.Contains(asked, id) {
			t.Errorf("%s: the answer holds %s, which belongs to another organisation", label, id)
		}
	}
}
