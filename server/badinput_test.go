package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// bodyRoutes returns, for every route that takes a body, a valid request
// on the fixture (as the owner, with the right If-Match) to spoil.
func bodyRoutes(t *testing.T, fx *fixture) map[*route]req {
	cases := accessCases()
	out := map[*route]req{}
	for _, rt := range fx.e.srv.routes {
		if rt.body == nil {
			continue
		}
		tc, ok := cases[rt.id]
		if !ok {
			t.Fatalf("route %s has no access case to build a request from", rt.id)
		}
		q := tc.build(fx, "owner")
		q.token = fx.acme.tokens[demarc.RoleOwner]
		out[rt] = q
	}
	return out
}

// wrongType is a JSON object whose first field has the wrong type for v.
func wrongType(v any) string {
	t := reflect.TypeOf(v)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.Name() != "Time" {
			return `{"` + name + `": 5}`
		}
		return `{"` + name + `": {"nested": true}}`
	}
	return `5`
}

// Every route that takes a body refuses a bad one with a 4xx and a clear
// error body — malformed JSON, the wrong shape, unknown fields, trailing
// data, the wrong content type, bodies over the limit — and writes
// nothing.
func TestBadBodiesAreRefused(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	fx := newFixture(t, e)
	bad := []struct {
		name, body, ctype string
		status            int
		says              string
	}{
		{"malformed", `{"name": "x",`, "application/json", 400, "malformed JSON"},
		{"syntax", "{\n  \"name\": x\n}", "application/json", 400, "line 2, column"},
		{"array", `[1, 2]`, "application/json", 400, "expected an object"},
		{"unknown field", `{"nope": 1}`, "application/json", 400, `nope`},
		{"empty", ``, "application/json", 400, "empty"},
		{"two values", `{} {}`, "application/json", 400, "more than one JSON value"},
		{"not utf-8", "{\"name\": \"\xff\xfe\"}", "application/json", 400, "UTF-8"},
		{"text", `{}`, "text/plain", 415, "application/json"},
		{"form", `name=x`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"no content type", `{}`, "", 415, "Content-Type"},
		{"latin-1", `{}`, "application/json; charset=latin-1", 415, "UTF-8"},
	}
	for rt, good := range bodyRoutes(t, fx) {
		cases := append(bad[:len(bad):len(bad)], struct {
			name, body, ctype string
			status            int
			says              string
		}{"wrong type", wrongType(rt.body), "application/json", 400, "expected"})
		limit := rt.bodyLimit
		if limit == 0 {
			limit = DefaultMaxBody
		}
		cases = append(cases, struct {
			name, body, ctype string
			status            int
			says              string
		}{"too large", `{"name": "` + strings.Repeat("a", int(limit)) + `"}`, "application/json", 413, "larger than"})
		for _, c := range cases {
			q := good
			q.body, q.contentType = []byte(c.body), c.ctype
			before := fx.heads(t)
			r := e.do(q)
			if r.status != c.status || !strings.Contains(string(r.body), c.says) || r.errorCode() == "" {
				t.Errorf("%s %s with %s body: got %s, want %d saying %q", q.method, q.path, c.name, r, c.status, c.says)
			}
			if after := fx.heads(t); after != before {
				t.Errorf("%s %s with %s body: refused but written (%s → %s)", q.method, q.path, c.name, before, after)
			}
		}
	}
}

// Ids that cannot exist — malformed, too long, of another kind, with
// path tricks — are not found (or, for versions, a bad request), never a
// server error; so are unknown or malformed query parameters.
func TestBadPathsAndQueries(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	fx := newFixture(t, e)
	tok := fx.acme.tokens[demarc.RoleOwner]
	badIDs := []string{"x", "doc_", "doc_UPPER", "mem_" + strings.Repeat("a", 70), "%00", "..%2f..", "doc_01%20x", "org_", strings.Repeat("z", 300), "so_1", "pub_%ff"}
	param := regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)
	cases := accessCases()
	for _, rt := range e.srv.routes {
		if rt.public || !strings.Contains(rt.path, "{") {
			continue
		}
		good := cases[rt.id].build(fx, "owner")
		for _, name := range param.FindAllStringSubmatch(rt.path, -1) {
			for _, bad := range badIDs {
				path := substitute(rt.path, good.path, name[0], bad)
				q := req{method: rt.method, path: path, token: tok, body: good.body, headers: good.headers}
				r := e.do(q)
				if r.status >= 500 || r.status < 400 && name[1] != "id" && name[1] != "target" || r.errorCode() == "" && r.status >= 400 {
					t.Errorf("%s %s: got %s", q.method, q.path, r)
				}
			}
		}
	}
	for _, c := range []struct{ path, says string }{
		{"/systems/" + string(fx.system) + "/matrix?nope=1", "unknown query parameter"},
		{"/systems/" + string(fx.system) + "/matrix?format=pdf", "not one of"},
		{"/systems/" + string(fx.system) + "/matrix?framework=nist", "unknown framework"},
		{"/systems/" + string(fx.system) + "/matrix?version=abc", "not an integer"},
		{"/systems/" + string(fx.system) + "/matrix?version=9", "no version 9"},
		{"/systems/" + string(fx.system) + "/gaps?as_of=2026-13-01", "not a date"},
		{"/systems/" + string(fx.system) + "/gaps?severity=dire", "not one of"},
		{"/systems/" + string(fx.system) + "/explain/xx-99", "neither an area nor a control"},
		{"/systems/" + string(fx.system) + "/exports/fedramp-crm", "baseline is required"},
		{"/systems/" + string(fx.system) + "/matrix?format=csv&format=json", "given 2 times"},
		{"/members?limit=-1", "not an integer"},
		{"/members?limit=501", "not an integer"},
		{"/systems?deleted=maybe", "not true or false"},
		{"/library/things", "no library kind"},
		{"/library/entries/aws/nosuch", "no provider, service"},
	} {
		r := e.do(req{method: "GET", path: fx.acmePath(c.path), token: tok})
		if r.status < 400 || r.status >= 500 || !strings.Contains(string(r.body), c.says) {
			t.Errorf("GET %s: got %s, want a 4xx saying %q", c.path, r, c.says)
		}
	}
}

// substitute puts bad in place of the parameter named by placeholder in a
// concrete path built from pattern.
func substitute(pattern, concrete, placeholder, bad string) string {
	ps := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	cs := strings.Split(strings.SplitN(strings.TrimPrefix(concrete, "/"), "?", 2)[0], "/")
	for i, p := range ps {
		if p == placeholder && i < len(cs) {
			if strings.HasSuffix(p, "...}") {
				cs = append(cs[:i], bad)
			} else {
				cs[i] = bad
			}
			break
		}
	}
	return "/" + strings.Join(cs, "/")
}

// requestTypes are the bodies the API decodes.
func requestTypes() []func() any {
	return []func() any{
		func() any { return new(DocumentRequest) }, func() any { return new(OrgRequest) }, func() any { return new(OrgPatch) },
		func() any { return new(demarc.MemberInput) }, func() any { return new(MemberPatch) }, func() any { return new(TokenRequest) },
		func() any { return new(PublishRequest) }, func() any { return new(SubscribeRequest) }, func() any { return new(AcknowledgeRequest) },
		func() any { return new(SignoffRequest) }, func() any { return new(SignRequest) },
	}
}

// FuzzDecodeBody: no input makes the decoder panic or fail with anything
// but a bad-request error, and what it accepts survives a round trip.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"name":"shop","content":"name: shop\n"}`, `{"slug":"acme","name":"Acme"}`, `{"role":"viewer"}`,
		`{"expires":"2027-01-01T00:00:00Z","name":"ci"}`, `{"version":2}`, `{"matrix_hash":"sha256:00"}`, `{"owner":{"email":"a@b.c","name":"A","role":"owner"}}`,
		`{"name": "x",`, `[]`, `{"a":1} {}`, "\xff", `{"name":"\u0000"}`, `{"version":1e400}`} {
		f.Add([]byte(s))
	}
	if dir := realdata.Dir(); dir != "" {
		for _, rel := range []string{"oscal/prototype-srm/example.ssp.app.json", "configs/hashicorp-terraform-json"} {
			_ = filepath.WalkDir(filepath.Join(dir, rel), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
					if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
						f.Add(data)
					}
				}
				return nil
			})
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range requestTypes() {
			v := mk()
			err := decodeBody(data, v)
			if err != nil {
				if code := demarc.ErrorCode(err); code != EBadRequest {
					t.Fatalf("%T: error code %s for %q: %v", v, code, data, err)
				}
				continue
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: accepted but cannot encode: %v", v, err)
			}
			w := mk()
			if err := decodeBody(again, w); err != nil {
				t.Fatalf("%T: round trip of %s fails: %v", v, again, err)
			}
		}
	})
}

// FuzzCreateSystem posts arbitrary content as a system through the whole
// server: the answer is 201 or a 4xx with an error body, never a server
// error, and a refusal writes nothing.
func FuzzCreateSystem(f *testing.F) {
	for _, name := range []string{"serverless-webshop.yaml", "lift-and-shift.yaml", "saas-vendor-chain.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "examples", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("shop", string(data))
	}
	if data, err := os.ReadFile(filepath.Join("..", "cmd", "demarc", "testdata", "bad-system.yaml")); err == nil {
		f.Add("bad", string(data))
	}
	f.Add("", "name: x\ncomponents: []\n")
	f.Add("x\x00", "components:\n  - {name: a, service: aws/lambda, runs_on: a}\n")
	e := newEnv(f, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	n := 0
	f.Fuzz(func(t *testing.T, name, content string) {
		e.t = t // calls run one at a time in a fuzzing process
		n++
		before := heads(t, e, a)
		r := e.do(req{method: "POST", path: "/api/v1/orgs/acme/systems", token: a.tokens[demarc.RoleEditor],
			body: DocumentRequest{Name: fmt.Sprintf("%s-%d", name, n), Content: content}})
		switch {
		case r.status == 201:
			var d DocumentView
			r.json(t, &d)
			m := e.do(req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(d.ID) + "/gaps", token: a.tokens[demarc.RoleViewer]})
			if m.status != 200 {
				t.Fatalf("accepted %q but its gaps fail: %s", content, m)
			}
		case r.status >= 500 || r.errorCode() == "":
			t.Fatalf("content %q: %s", content, r)
		case heads(t, e, a) != before:
			t.Fatalf("content %q refused with %d but written", content, r.status)
		}
	})
}

// FuzzIfMatch: a header is a version only when it is exactly one version
// tag; anything else is a failed or missing precondition.
func FuzzIfMatch(f *testing.F) {
	for _, s := range []string{`"v1"`, `"v12"`, `W/"v1"`, `*`, `"v01"`, `"v1", "v2"`, `"h0011"`, ``, `"v-1"`, `"v99999999999999999999"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r, err := http.NewRequestWithContext(context.Background(), "PUT", "/", nil)
		if err != nil {
			t.Skip()
		}
		r.Header["If-Match"] = []string{header}
		v, err := matchVersion(r)
		if err == nil {
			// HTTP lists may hold empty elements; what is left must be
			// exactly one version tag.
			var tags []string
			for _, t := range strings.Split(header, ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
			if len(tags) != 1 || tags[0] != versionTag(v) {
				t.Fatalf("If-Match %q accepted as version %d", header, v)
			}
			return
		}
		switch demarc.ErrorCode(err) {
		case EPreconditionRequired, demarc.EConflict, EBadRequest:
		default:
			t.Fatalf("If-Match %q: %v", header, err)
		}
	})
}

// FuzzSessionCookie: only cookies the server sealed open.
func FuzzSessionCookie(f *testing.F) {
	s := &sessions{key: bytes.Repeat([]byte{7}, 32)}
	good, err := s.seal("session", session{Subject: "x", CSRF: "y"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-2] + "AA")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("e30.")
	f.Fuzz(func(t *testing.T, value string) {
		var sess session
		if s.open("session", value, &sess) && value != good {
			t.Fatalf("a cookie the server did not seal opened: %q", value)
		}
		if s.open("login", value, &sess) {
			t.Fatalf("a session cookie opened as a login cookie: %q", value)
		}
	})
}
