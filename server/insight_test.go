package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// invalidShop is a system the access case for validation sends: it names
// a service no library has, so every caller allowed to validate gets 422
// and nothing is written. (A valid document answers 200 without an audit
// event, which the access test reads as a change that was not recorded;
// TestValidateSystem checks the 200 answers.)
const invalidShop = "name: shop\ncomponents:\n  - name: api\n    service: aws/lambdaa\n"

// insightAccessCases are the access cases of the routes in insight.go.
func insightAccessCases() map[string]accessCase {
	sys := func(fx *fixture) string { return "/systems/" + string(fx.system) }
	return map[string]accessCase{
		"systemCells": analysisCase(sys, "/cells"),
		"whatIf":      analysisCase(sys, "/whatif?swap="+url.QueryEscape("api=aws/ec2")),
		"compare":     {build: get(acme("/compare?services=aws/lambda,cloudco/db")), allowed: everyone, status: 200},
		"overview":    {build: get(acme("/overview")), allowed: everyone, status: 200},
		"validateSystem": {build: func(fx *fixture, _ string) req {
			return req{method: "POST", path: fx.acmePath("/systems/validate"), body: DocumentRequest{Content: invalidShop}}
		}, allowed: writers, status: 422},
	}
}

// localWebshop resolves the serverless web shop as the command line does,
// from the files on disk.
func localWebshop(t testing.TB) (*library.Library, *resolve.Resolution) {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/serverless-webshop.yaml", lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	return lib, res
}

// shopEnv is a server with the web shop stored in acme.
func shopEnv(t testing.TB) (*env, *tenant, string) {
	t.Helper()
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	d := e.webshop(a)
	return e, a, "/api/v1/orgs/acme/systems/" + string(d.ID)
}

// The heat map holds exactly resolve's cells, with each cell's owner,
// sharing, deciding rule and parts; its grid lists the components in the
// system's order and every area once, grouped by layer up the stack; the
// filters narrow it as they say.
func TestCellsEqualResolve(t *testing.T) {
	e, a, path := shopEnv(t)
	lib, res := localWebshop(t)
	tok := a.tokens[demarc.RoleViewer]
	var g CellGrid
	e.must(200, req{method: "GET", path: path + "/cells", token: tok}).json(t, &g)
	sys := res.System
	if g.System != sys.Name || g.Version != 1 || len(g.Components) != len(sys.Components) || len(g.Cells) != len(sys.Components)*len(lib.Areas()) {
		t.Fatalf("grid of %s v%d: %d components, %d cells", g.System, g.Version, len(g.Components), len(g.Cells))
	}
	for i, gc := range g.Components {
		if gc.Name != sys.Components[i].Name || gc.Service != sys.Components[i].Service {
			t.Errorf("component %d: %+v, want %s (%s)", i, gc, sys.Components[i].Name, sys.Components[i].Service)
		}
	}
	seen := map[demarc.AreaID]bool{}
	rank := -1
	for _, l := range g.Layers {
		if l.Layer.Rank() <= rank {
			t.Errorf("layer %s is out of stack order", l.Layer)
		}
		rank = l.Layer.Rank()
		for _, ar := range l.Areas {
			if seen[ar.ID] || lib.Area(ar.ID) == nil || lib.Area(ar.ID).Layer != l.Layer {
				t.Errorf("area %s under layer %s", ar.ID, l.Layer)
			}
			seen[ar.ID] = true
		}
	}
	if len(seen) != len(lib.Areas()) {
		t.Errorf("the grid has %d areas, the library %d", len(seen), len(lib.Areas()))
	}
	for _, cell := range g.Cells {
		want := res.Assignment(cell.Component, cell.Area)
		if want == nil {
			t.Fatalf("cell %s/%s is not in the resolution", cell.Component, cell.Area)
		}
		got := demarc.Assignment{Area: cell.Area, Component: cell.Component, Owner: cell.Owner, Sharing: cell.Sharing, Parts: cell.Parts,
			Provenance: demarc.Provenance{Decided: demarc.Candidate{Level: cell.Level, Source: cell.Source}, Via: cell.Via}}
		w := *want
		w.Duties, w.Provenance = nil, demarc.Provenance{Decided: demarc.Candidate{Level: want.Provenance.Decided.Level, Source: want.Provenance.Decided.Source}, Via: want.Provenance.Via}
		if !reflect.DeepEqual(normalParts(got), normalParts(w)) {
			t.Errorf("cell %s/%s: got %+v, want %+v", cell.Component, cell.Area, got, w)
		}
	}

	var one CellGrid
	e.must(200, req{method: "GET", path: path + "/cells?component=api&layer=data&owner=customer", token: tok}).json(t, &one)
	if len(one.Components) != 1 || one.Components[0].Name != "api" || len(one.Layers) != 1 || one.Layers[0].Layer != demarc.LayerData {
		t.Fatalf("filtered grid: %+v %+v", one.Components, one.Layers)
	}
	want := 0
	for _, asg := range res.Cells(0) {
		if lib.Area(asg.Area).Layer == demarc.LayerData && asg.Owner == demarc.OwnerCustomer {
			want++
		}
	}
	if want == 0 || len(one.Cells) != want || one.Summary[demarc.OwnerCustomer] != want {
		t.Errorf("api's customer data cells: got %d (summary %v), want %d", len(one.Cells), one.Summary, want)
	}

	r := e.must(200, req{method: "GET", path: path + "/cells?format=csv&component=cluster", token: tok})
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || len(rows) != 1+len(lib.Areas()) || rows[0][0] != "component" || rows[1][0] != "cluster" {
		t.Errorf("CSV: %s, %d rows, first %v", r.header.Get("Content-Type"), len(rows), rows[:min(2, len(rows))])
	}
	e.must(304, req{method: "GET", path: path + "/cells?format=csv&component=cluster", token: tok, headers: map[string]string{"If-None-Match": r.header.Get("ETag")}})
}

// normalParts treats no parts and an empty list alike.
func normalParts(a demarc.Assignment) demarc.Assignment {
	if len(a.Parts) == 0 {
		a.Parts = nil
	}
	if len(a.Provenance.Via) == 0 {
		a.Provenance.Via = nil
	}
	return a
}

// A what-if answers what analyze.Compare says of the system against
// analyze.Swap of it, byte for byte, whether the swaps are repeated or
// given with commas, in the shape of a version diff.
func TestWhatIfEqualsCompareOverSwap(t *testing.T) {
	e, a, path := shopEnv(t)
	lib, res := localWebshop(t)
	tok := a.tokens[demarc.RoleViewer]
	to, err := analyze.Swap(res.System, "api", "aws/ec2")
	if err != nil {
		t.Fatal(err)
	}
	if to, err = analyze.Swap(to, "orders-db", "aws/rds"); err != nil {
		t.Fatal(err)
	}
	rb, err := resolve.New(lib).Resolve(to)
	if err != nil {
		t.Fatal(err)
	}
	for _, fw := range []string{"", "iso-27001-2022"} {
		id := fw
		if id == "" {
			id = "nist-800-53-r5" // the system's first
		}
		var want bytes.Buffer
		if err := render.WriteJSON(&want, VersionDiff{From: 1, To: 1, Diff: analyze.Compare(res, rb, lib.Framework(demarc.FrameworkID(id)))}); err != nil {
			t.Fatal(err)
		}
		q := "&framework=" + fw
		if fw == "" {
			q = ""
		}
		repeated := e.must(200, req{method: "GET", path: path + "/whatif?swap=api%3Daws%2Fec2&swap=orders-db%3Daws%2Frds" + q, token: tok})
		commas := e.must(200, req{method: "GET", path: path + "/whatif?swap=" + url.QueryEscape("api=aws/ec2,orders-db=aws/rds") + q, token: tok})
		if !bytes.Equal(repeated.body, want.Bytes()) || !bytes.Equal(commas.body, want.Bytes()) {
			t.Errorf("framework %s: the what-if differs from analyze.Compare over analyze.Swap:\n%.400s\nwant\n%.400s", id, repeated.body, want.Bytes())
		}
	}
	var d VersionDiff
	e.must(200, req{method: "GET", path: path + "/whatif?swap=api%3Daws%2Fec2", token: tok}).json(t, &d)
	if len(d.Diff.Components.Changed) != 1 || d.Diff.Components.Changed[0].To != "aws/ec2" || len(d.Diff.Areas) == 0 {
		t.Errorf("one swap: %+v", d.Diff.Components)
	}
}

// Bad what-ifs are refused with what was wrong: an unknown component or
// service is 422 naming it, a malformed or missing swap 400.
func TestWhatIfBadInput(t *testing.T) {
	e, a, path := shopEnv(t)
	tok := a.tokens[demarc.RoleViewer]
	for _, c := range []struct {
		query  string
		status int
		says   string
	}{
		{"swap=" + url.QueryEscape("apii=aws/ec2"), 422, `no component "apii"`},
		{"swap=" + url.QueryEscape("api=aws/ec3"), 422, `no service "aws/ec3"`},
		{"swap=" + url.QueryEscape("api=aws/ec2") + "&swap=" + url.QueryEscape("api=aws/nope"), 422, `"aws/nope"`},
		{"swap=api", 400, "not COMPONENT=SERVICE"},
		{"swap=" + url.QueryEscape("=aws/ec2"), 400, "not COMPONENT=SERVICE"},
		{"", 400, "swap is required"},
		{"swap=" + url.QueryEscape("api=aws/ec2") + "&framework=nist", 400, "unknown framework"},
		{"swap=" + url.QueryEscape("api=aws/ec2") + "&version=7", 404, "version 7"},
		{"swap=" + url.QueryEscape("api=aws/ec2") + "&nope=1", 400, "unknown query parameter"},
		{"swap=" + url.QueryEscape("api=aws/ec2") + "&framework=a&framework=b", 400, "given 2 times"},
	} {
		r := e.do(req{method: "GET", path: path + "/whatif?" + c.query, token: tok})
		if r.status != c.status || !strings.Contains(errorText(t, r), c.says) {
			t.Errorf("whatif?%s: got %s, want %d saying %s", c.query, r, c.status, c.says)
		}
	}
}

// Bad heat-map queries are refused with what was expected.
func TestCellsBadInput(t *testing.T) {
	e, a, path := shopEnv(t)
	tok := a.tokens[demarc.RoleViewer]
	for _, c := range []struct {
		query string
		says  string
	}{
		{"component=apii", `no component "apii"`},
		{"owner=nobody", "not one of"},
		{"layer=roof", "not one of"},
		{"format=xlsx", "not one of"},
		{"version=x", "not an integer"},
		{"colour=red", "unknown query parameter"},
	} {
		r := e.do(req{method: "GET", path: path + "/cells?" + c.query, token: tok})
		if r.status != 400 || !strings.Contains(errorText(t, r), c.says) {
			t.Errorf("cells?%s: got %s, want 400 saying %s", c.query, r, c.says)
		}
	}
}

// A comparison is analyze's, written as the command line writes it: the
// same JSON for services and for providers on a model, and the same
// table as CSV. It is made against the organisation's own library.
func TestCompareEqualsLibrary(t *testing.T) {
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	engine := resolve.New(lib)
	byServices, err := analyze.CompareServices(engine, []demarc.ServiceID{"aws/rds", "azure/sql-database", "gcp/cloud-sql"})
	if err != nil {
		t.Fatal(err)
	}
	byModel, err := analyze.CompareProviders(engine, "paas", []demarc.ProviderID{"aws", "gcp"})
	if err != nil {
		t.Fatal(err)
	}
	byDefault, err := analyze.CompareProviders(engine, "iaas", []demarc.ProviderID{"aws", "azure", "gcp"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	fx := newFixture(t, e)
	tok := fx.acme.tokens[demarc.RoleViewer]
	for _, c := range []struct {
		query string
		want  *analyze.Comparison
	}{
		{"services=aws/rds,azure/sql-database,gcp/cloud-sql", byServices},
		{"model=paas&providers=aws,gcp", byModel},
		{"model=iaas", byDefault},
	} {
		var want bytes.Buffer
		if err := render.WriteJSON(&want, c.want); err != nil {
			t.Fatal(err)
		}
		r := e.must(200, req{method: "GET", path: fx.acmePath("/compare?" + c.query), token: tok})
		if !bytes.Equal(r.body, want.Bytes()) {
			t.Errorf("compare?%s differs from analyze:\n%.300s\nwant\n%.300s", c.query, r.body, want.Bytes())
		}
	}
	r := e.must(200, req{method: "GET", path: fx.acmePath("/compare?services=aws/rds,gcp/cloud-sql&format=csv"), token: tok})
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(lib.Areas()) || strings.Join(rows[0], ",") != ",area,aws/rds,gcp/cloud-sql" {
		t.Errorf("CSV: %d rows, header %v", len(rows), rows[0])
	}
	for _, row := range rows[1:] {
		if row[0] != "" && row[0] != "≠" || lib.Area(demarc.AreaID(row[1])) == nil {
			t.Errorf("CSV row %v", row)
		}
	}
	// acme subscribes to cloudco's statement; the rival does not.
	var own analyze.Comparison
	e.must(200, req{method: "GET", path: fx.acmePath("/compare?services=cloudco/db,aws/rds"), token: tok}).json(t, &own)
	if len(own.Columns) != 2 || own.Columns[0] != "cloudco/db" {
		t.Errorf("acme's own library: %v", own.Columns)
	}
	r = e.do(req{method: "GET", path: fx.rivalPath("/compare?services=cloudco/db,aws/rds"), token: fx.rival.tokens[demarc.RoleViewer]})
	if r.status != 422 || !strings.Contains(string(r.body), "cloudco/db") {
		t.Errorf("the rival compared a service it cannot see: %s", r)
	}
}

// Bad comparisons are refused with what was expected.
func TestCompareBadInput(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleViewer]
	for _, c := range []struct {
		query  string
		status int
		says   string
	}{
		{"", 400, "give services"},
		{"services=aws/rds&model=paas", 400, "not both"},
		{"providers=aws", 400, "needs model"},
		{"services=aws/rdss", 422, `no service "aws/rdss"`},
		{"model=paaas", 422, `"paaas"`},
		{"model=paas&providers=aws,awz", 422, `no provider "awz"`},
		{"services=aws/rds&format=pdf", 400, "not one of"},
		{"services=" + strings.Repeat("aws/rds,", maxCompared+1), 400, "at most"},
	} {
		r := e.do(req{method: "GET", path: "/api/v1/orgs/acme/compare?" + c.query, token: tok})
		if r.status != c.status || !strings.Contains(errorText(t, r), c.says) {
			t.Errorf("compare?%s: got %s, want %d saying %s", c.query, r, c.status, c.says)
		}
	}
}

// The overview sums every system up as the library computes it: the
// matrix summary, gaps by severity, attestations due, sign-offs that
// need attention (pending, then stale with why, and gone once a newer
// one is complete); a system that does not parse is listed with its
// error, and the totals add up.
func TestOverview(t *testing.T) {
	e, a, path := shopEnv(t)
	lib, res := localWebshop(t)
	ctx := context.Background()
	if _, err := e.store.CreateDocument(ctx, demarc.Actor{Member: a.members[demarc.RoleOwner].ID}, a.org.ID,
		demarc.DocumentInput{Kind: demarc.DocSystem, Name: "broken", Content: []byte(invalidShop)}); err != nil {
		t.Fatal(err)
	}
	tok := a.tokens[demarc.RoleViewer]
	var so SignoffView
	e.must(201, req{method: "POST", path: path + "/signoffs", token: a.tokens[demarc.RoleEditor], body: SignoffRequest{}}).json(t, &so)

	var o Overview
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/overview?as_of=2027-04-15&days=90", token: tok}).json(t, &o)
	if o.Totals.Systems != 2 || o.Totals.Invalid != 1 || len(o.Systems) != 2 || o.Days != 90 || o.AsOf.String() != "2027-04-15" {
		t.Fatalf("overview: %+v", o.Totals)
	}
	broken, shop := o.Systems[0], o.Systems[1] // by name
	if broken.Name != "broken" || broken.Error == nil || broken.Error.Code != demarc.EInvalid || !strings.Contains(broken.Error.Message, "aws/lambdaa") || len(broken.Error.Problems) == 0 {
		t.Errorf("broken system: %+v", broken)
	}
	fw := lib.Framework("nist-800-53-r5")
	m := res.Matrix(fw)
	if shop.Name != "webshop" || shop.System != res.System.Name || shop.Version != 1 || shop.Framework != fw.ID || shop.Controls != len(m.Controls) || !reflect.DeepEqual(shop.Owners, m.Summary) {
		t.Errorf("shop: %s %s v%d %s %d controls %v, want %v", shop.Name, shop.System, shop.Version, shop.Framework, shop.Controls, shop.Owners, m.Summary)
	}
	var gaps GapCounts
	for _, g := range analyze.New(res, fw, analyze.Options{AsOf: mustDate(t, "2027-04-15")}).Gaps() {
		gaps.add(map[demarc.Severity]GapCounts{demarc.SeverityHigh: {High: 1}, demarc.SeverityMedium: {Medium: 1}, demarc.SeverityLow: {Low: 1}}[g.Severity])
	}
	if shop.Gaps == nil || *shop.Gaps != gaps || o.Totals.Gaps != gaps {
		t.Errorf("gaps %+v, totals %+v, want %+v", shop.Gaps, o.Totals.Gaps, gaps)
	}
	// aws-sample.yaml: the SOC 2 report runs through 2027-03-31, the PCI
	// AoC expired on 2026-11-15, FedRAMP is relied on through 2027-05-31
	// and ISO 27001 through 2028-11-06.
	var due []string
	for _, at := range shop.Attestations {
		due = append(due, fmt.Sprintf("%s:%d:%v", at.ID, at.DaysLeft, at.Expired))
	}
	if got := strings.Join(due, " "); got != "aws-pci-aoc-2025:-151:true aws-soc2-type2-2025:-15:true aws-fedramp-high:46:false" {
		t.Errorf("attestations due: %s", got)
	}
	if o.Totals.AttestationsExpired != 2 || o.Totals.AttestationsExpiring != 1 {
		t.Errorf("attestation totals: %+v", o.Totals)
	}
	if len(shop.Signoffs) != 1 || shop.Signoffs[0].ID != so.ID || shop.Signoffs[0].State != demarc.SignoffPending ||
		!reflect.DeepEqual(shop.Signoffs[0].Awaiting, []demarc.OrgID{a.org.ID}) || o.Totals.SignoffsPending != 1 {
		t.Errorf("pending sign-off: %+v", shop.Signoffs)
	}

	// Read again with nothing changed: the same answer, revalidated.
	again := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/overview?as_of=2027-04-15&days=90", token: tok})
	e.must(304, req{method: "GET", path: "/api/v1/orgs/acme/overview?as_of=2027-04-15&days=90", token: tok, headers: map[string]string{"If-None-Match": again.header.Get("ETag")}})

	// Signed, it needs no attention; after a change it is stale and says why.
	e.must(200, req{method: "POST", path: "/api/v1/orgs/acme/signoffs/" + string(so.ID) + "/sign", token: a.tokens[demarc.RoleOwner], body: SignRequest{MatrixHash: so.MatrixHash}})
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/overview", token: tok}).json(t, &o)
	if len(o.Systems[1].Signoffs) != 0 {
		t.Errorf("a complete sign-off is listed: %+v", o.Systems[1].Signoffs)
	}
	content := strings.Replace(example(t, "serverless-webshop.yaml"), "service: aws/eks", "service: aws/ec2", 1)
	e.must(200, req{method: "PUT", path: path, token: a.tokens[demarc.RoleEditor], body: DocumentRequest{Content: content}, headers: map[string]string{"If-Match": `"v1"`}})
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/overview", token: tok}).json(t, &o)
	shop = o.Systems[1]
	if shop.Version != 2 || len(shop.Signoffs) != 1 || shop.Signoffs[0].State != demarc.SignoffStale || shop.Signoffs[0].StaleReason == "" || o.Totals.SignoffsStale != 1 {
		t.Errorf("stale sign-off: v%d %+v", shop.Version, shop.Signoffs)
	}
	// A new request supersedes the stale one.
	e.must(201, req{method: "POST", path: path + "/signoffs", token: a.tokens[demarc.RoleEditor], body: SignoffRequest{}}).json(t, &so)
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/overview?framework=iso-27001-2022", token: tok}).json(t, &o)
	shop = o.Systems[1]
	if len(shop.Signoffs) != 1 || shop.Signoffs[0].ID != so.ID || shop.Signoffs[0].State != demarc.SignoffPending || shop.Framework != "iso-27001-2022" {
		t.Errorf("after a new request: %s %+v", shop.Framework, shop.Signoffs)
	}
	for _, c := range []struct{ query, says string }{
		{"days=-1", "not an integer"},
		{"days=99999", "not an integer"},
		{"framework=nist", "unknown framework"},
		{"as_of=2027-02-30", "date"},
		{"system=x", "unknown query parameter"},
	} {
		r := e.do(req{method: "GET", path: "/api/v1/orgs/acme/overview?" + c.query, token: tok})
		if r.status != 400 || !strings.Contains(errorText(t, r), c.says) {
			t.Errorf("overview?%s: got %s, want 400 saying %s", c.query, r, c.says)
		}
	}
}

// errorText is the message of an error answer; it fails the test for
// an answer without an error body.
func errorText(t testing.TB, r *resp) string {
	t.Helper()
	var body ErrorBody
	r.json(t, &body)
	if body.Error.Code == "" {
		t.Errorf("no error code: %s", r)
	}
	return body.Error.Message
}

func mustDate(t testing.TB, s string) demarc.Date {
	t.Helper()
	d, err := demarc.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Validation answers as creation would, for every role that may create,
// and stores nothing: 200 for a document creation accepts, 422 with each
// problem's line and field for one it refuses.
func TestValidateSystem(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	fx := newFixture(t, e)
	before := fx.heads(t)
	for _, role := range []demarc.Role{demarc.RoleOwner, demarc.RoleAdmin, demarc.RoleEditor} {
		var v Validation
		e.must(200, req{method: "POST", path: fx.acmePath("/systems/validate"), token: fx.acme.tokens[role], body: DocumentRequest{Content: shopSystem}}).json(t, &v)
		if !v.Valid || v.System != "shop" || v.Components != 3 {
			t.Errorf("as %s: %+v", role, v)
		}
	}
	for _, c := range []struct {
		name, content string
		line          int
		field, says   string
	}{
		{"", invalidShop, 3, "components[0].service", "aws/lambdaa"},
		{"shop.yaml", "name: x\ncomponents: [\n", 0, "", "shop.yaml"},
		{"", strings.Replace(shopSystem, "aws-register", "missing-register", 1), 0, "attestation_files[0]", "missing-register"},
		{"", "  \n", 0, "content", "is empty"},
		{"", strings.Repeat("#", demarc.MaxDocumentSize+1), 0, "content", "at most"},
	} {
		r := e.must(422, req{method: "POST", path: fx.acmePath("/systems/validate"), token: fx.acme.tokens[demarc.RoleEditor], body: DocumentRequest{Name: c.name, Content: c.content}})
		var body ErrorBody
		r.json(t, &body)
		if body.Error.Code != demarc.EInvalid || len(body.Error.Problems) == 0 || !strings.Contains(string(r.body), c.says) {
			t.Errorf("%.40q: %s", c.content, r)
			continue
		}
		p := body.Error.Problems[0]
		if c.field != "" && p.Field != c.field || c.line != 0 && p.Pos.Line != c.line {
			t.Errorf("%.40q: problem %+v, want line %d field %s", c.content, p, c.line, c.field)
		}
	}
	// cloudco/db is acme's through its subscription, not the rival's.
	unregistered := strings.Replace(shopSystem, "attestation_files: [aws-register]\n", "", 1)
	e.must(200, req{method: "POST", path: fx.acmePath("/systems/validate"), token: fx.acme.tokens[demarc.RoleEditor], body: DocumentRequest{Content: unregistered}})
	if r := e.must(422, req{method: "POST", path: fx.rivalPath("/systems/validate"), token: fx.rival.tokens[demarc.RoleEditor], body: DocumentRequest{Content: unregistered}}); !strings.Contains(string(r.body), "cloudco/db") {
		t.Errorf("the rival's validation: %s", r)
	}
	e.must(403, req{method: "POST", path: fx.acmePath("/systems/validate"), token: fx.acme.tokens[demarc.RoleViewer], body: DocumentRequest{Content: shopSystem}})
	if after := fx.heads(t); after != before {
		t.Errorf("validation wrote: %s → %s", before, after)
	}
}

// BenchmarkOverview measures the dashboard of an organisation with 20
// systems (variants of the web shop, each its own content) through the
// whole server: "cached" with the resolutions and summaries cached, as
// users see it; "cold" with every cache emptied before each request.
func BenchmarkOverview(b *testing.B) {
	e := newEnv(b, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	e.createDoc(a, "attestations", "attestations/aws-sample.yaml", example(b, "attestations/aws-sample.yaml"))
	shop := example(b, "serverless-webshop.yaml")
	for i := 0; i < 20; i++ {
		d := e.createDoc(a, "systems", fmt.Sprintf("shop-%02d", i), strings.Replace(shop, "name: serverless-webshop", fmt.Sprintf("name: shop-%02d", i), 1))
		e.must(201, req{method: "POST", path: "/api/v1/orgs/acme/systems/" + string(d.ID) + "/signoffs", token: a.tokens[demarc.RoleEditor], body: SignoffRequest{}})
	}
	tok := a.tokens[demarc.RoleViewer]
	url := e.http.URL + "/api/v1/orgs/acme/overview"
	get := func(client *http.Client) error {
		r, _ := http.NewRequest("GET", url, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(r)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			return fmt.Errorf("status %d, %v", res.StatusCode, err)
		}
		return nil
	}
	var o Overview
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/overview", token: tok}).json(b, &o)
	if o.Totals.Systems != 20 || o.Totals.Invalid != 0 {
		b.Fatalf("overview: %+v", o.Totals)
	}
	b.Run("cached", func(b *testing.B) {
		load(b, func(c *http.Client, _, _ int) error { return get(c) })
	})
	b.Run("cold", func(b *testing.B) {
		client := &http.Client{}
		var failed atomic.Bool
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			v := e.srv.views
			v.forget("")
			v.systems, v.answers = newLRU[string, *systemView](1024, 0), newLRU[string, *reply](4096, 256<<20)
			v.libs, v.parsed = newLRU[string, *orgLibrary](64, 0), newLRU[demarc.ContentHash, any](4096, 64<<20)
			b.StartTimer()
			if err := get(client); err != nil && !failed.Swap(true) {
				b.Error(err)
			}
		}
	})
}
