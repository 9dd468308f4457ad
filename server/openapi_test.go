package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/demarc-io/demarc"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The OpenAPI document and the router agree: every documented operation
// reaches exactly its pattern in the real ServeMux, and every pattern the
// ServeMux has is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	r := e.must(http.StatusOK, req{method: "GET", path: "/openapi.json"})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			// Fill the template with sample values, including a value with
			// a slash for the library entry, and ask the real router.
			concrete := param.ReplaceAllStringFunc(path, func(p string) string {
				if p == "{id}" && strings.Contains(path, "/library/entries/") {
					return "aws/lambda"
				}
				return "x1"
			})
			probe := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			_, pattern := e.srv.mux.Handler(probe)
			want := strings.ToUpper(method) + " " + path
			if openAPIPath(strings.TrimPrefix(pattern, strings.ToUpper(method)+" ")) != path || !strings.HasPrefix(pattern, strings.ToUpper(method)+" ") {
				t.Errorf("documented %s reaches router pattern %q", want, pattern)
			}
			documented[pattern] = true
		}
	}
	var missing []string
	for _, rt := range e.srv.routes {
		if p := rt.method + " " + rt.path; !documented[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("route %s is not in /openapi.json", m)
	}
	if len(documented) != len(e.srv.routes) {
		t.Errorf("%d documented operations, %d routes", len(documented), len(e.srv.routes))
	}
}

// Every $ref in the document resolves, and every schema it names is
// used, so that clients generated from it compile.
func TestOpenAPIReferencesResolve(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	var doc map[string]any
	if err := json.Unmarshal(e.srv.openapi, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	responses := doc["components"].(map[string]any)["responses"].(map[string]any)
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok {
				switch {
				case strings.HasPrefix(r, "#/components/schemas/"):
					name := strings.TrimPrefix(r, "#/components/schemas/")
					if _, ok := schemas[name]; !ok {
						t.Errorf("$ref %s does not resolve", r)
					}
					used[name] = true
				case strings.HasPrefix(r, "#/components/responses/"):
					if _, ok := responses[strings.TrimPrefix(r, "#/components/responses/")]; !ok {
						t.Errorf("$ref %s does not resolve", r)
					}
				default:
					t.Errorf("unexpected $ref %s", r)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)
	for name := range schemas {
		if !used[name] {
			t.Errorf("schema %s is defined but never used", name)
		}
	}
	for _, want := range []string{"Matrix", "DocumentView", "ListOfMember", "SignoffView", "ErrorBody"} {
		if _, ok := schemas[want]; !ok {
			t.Errorf("schema %s is missing", want)
		}
	}
}

// The schema of a response type names exactly the JSON fields the
// server writes, so the document cannot promise fields that do not exist
// nor leave out fields it sends.
func TestOpenAPISchemaMatchesEncoding(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	cases := []any{
		DocumentView{Document: demarc.Document{ID: "doc_1", Org: "org_1", Kind: demarc.DocSystem, Name: "shop", Version: 2, Hash: "sha256:00", Created: now, CreatedBy: "mem_1", Updated: now, UpdatedBy: "mem_1", Deleted: now}, Content: "name: shop"},
		NewToken{Token: demarc.Token{ID: "tok_1", Org: "org_1", Member: "mem_1", Name: "ci", Hint: "dmc_abcd", Created: now, Expires: now, LastUsed: now, Revoked: now}, Secret: "dmc_x"},
		SignoffView{Signoff: demarc.Signoff{ID: "so_1", Stale: now, StaleReason: "x", Publications: []demarc.PublicationRef{{ID: "pub_1", Version: 1}}, Signatures: []demarc.Signature{{Org: "org_1"}}, RequestedBy: "mem_1"}, State: demarc.SignoffStale},
		Verification{AuditReport: demarc.AuditReport{Org: "org_1", Problems: []demarc.AuditProblem{{Seq: 1, Kind: "altered", Message: "x"}}}, OK: false},
		ErrorBody{Error: ErrorDetail{Code: "invalid", Message: "x", Problems: demarc.Problems{{Field: "f", Message: "m"}}}},
	}
	for _, v := range cases {
		g := &schemaGen{defs: map[string]any{}, names: map[reflect.Type]string{}}
		sch := g.schema(reflect.TypeOf(v))
		name := strings.TrimPrefix(sch["$ref"].(string), "#/components/schemas/")
		def := g.defs[name].(map[string]any)
		props := def["properties"].(map[string]any)
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		for k := range got {
			if _, ok := props[k]; !ok {
				t.Errorf("%s: the server writes %q, which the schema lacks", name, k)
			}
		}
		for k := range props {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: the schema has %q, which a full value does not write", name, k)
			}
		}
		req, _ := def["required"].([]string)
		for _, k := range req {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: required %q is not written", name, k)
			}
		}
	}
}
