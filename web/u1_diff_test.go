package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/server"
)

// A what-if swap shows the controls and areas whose owner moves, the
// same as the API's, and what each party takes on or hands off.
func TestWhatIfShowsWhatMoves(t *testing.T) {
	s, id, base := analysisSite(t)
	var want server.VersionDiff
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/whatif?swap=api=aws/ec2", s.tokens[demarc.RoleViewer], nil, &want, http.StatusOK)
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, base+"diff?component=api&service=aws/ec2")
	if status != http.StatusOK {
		t.Fatalf("what-if: %d\n%s", status, body)
	}
	if !strings.Contains(body, "<b>api</b>: aws/lambda → aws/ec2") {
		t.Error("the component's change of service is not shown")
	}
	for _, ctl := range want.Diff.Controls {
		if !strings.Contains(body, ">"+string(ctl.ID)+"</a>") {
			t.Errorf("control %s moves but is not listed", ctl.ID)
		}
	}
	if n := strings.Count(body, `<td>area</td>`); n != len(want.Diff.Areas) {
		t.Errorf("page lists %d areas, the API %d", n, len(want.Diff.Areas))
	}
	if !strings.Contains(body, "<td>Operating system patching</td>") {
		t.Error("moved areas are listed without their titles")
	}
	gains := 0
	for dir, n := range want.Diff.Moves {
		if strings.HasSuffix(dir, "→ customer") && !strings.HasPrefix(dir, "customer") {
			gains += n
		}
	}
	if !strings.Contains(body, "takes on <b>"+strconv.Itoa(gains)+"</b>") {
		t.Errorf("the customer's gain of %d areas is not said", gains)
	}
	rows := csvRows(t, c, base+"diff?component=api&service=aws/ec2&change=control&export=csv")
	if rows[0][0] != "Change" || len(rows)-1 != len(want.Diff.Controls) || slices.Contains(column(rows, 0), "area") {
		t.Errorf("controls CSV: header %v, %d rows, want %d controls", rows[0], len(rows)-1, len(want.Diff.Controls))
	}
	xl := xlsxRows(t, c, base+"diff?component=api&service=aws/ec2&export=xlsx")
	if len(xl)-1 != len(want.Diff.Controls)+len(want.Diff.Areas) {
		t.Errorf("workbook has %d rows, want %d", len(xl)-1, len(want.Diff.Controls)+len(want.Diff.Areas))
	}
}

// A what-if the API refuses shows its message on the form with the
// API's status, the picks kept; a download of it is refused.
func TestWhatIfRefusalsShowOnTheForm(t *testing.T) {
	s, _, base := analysisSite(t)
	c := s.browserClient(demarc.RoleViewer)
	cases := []struct {
		query  string
		status int
		want   string
	}{
		{"component=ghost&service=aws/ec2", http.StatusUnprocessableEntity, `has no component &#34;ghost&#34;`},
		{"component=api&service=aws/teleporter", http.StatusUnprocessableEntity, `has no service &#34;aws/teleporter&#34;`},
		{"component=api&service=", http.StatusUnprocessableEntity, "Choose both a component and the service"},
	}
	for _, tc := range cases {
		status, body := page(t, c, base+"diff?"+tc.query)
		if status != tc.status || !strings.Contains(body, `id="whatif-error"`) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q on the form", tc.query, status, tc.status, tc.want)
		}
		q, _ := url.ParseQuery(tc.query)
		if comp := q.Get("component"); !strings.Contains(body, `value="`+comp+`" selected`) {
			t.Errorf("%s: the component pick %q is not kept", tc.query, comp)
		}
		resp, _ := fetch(t, c, base+"diff?"+tc.query+"&export=csv")
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Disposition") != "" {
			t.Errorf("%s export: %d %q, want %d and no file", tc.query, resp.StatusCode, resp.Header.Get("Content-Disposition"), tc.status)
		}
	}
}

// With two versions stored, the diff page compares the previous with
// the current by default, and any two chosen.
func TestDiffOfTwoVersions(t *testing.T) {
	s, id, base := analysisSite(t)
	content := strings.Replace(exampleFile(t, "serverless-webshop.yaml"), "service: aws/lambda", "service: aws/ec2", 1)
	resp, data := apiDo(t, s, "PUT", "/api/v1/orgs/acme/systems/"+id, s.tokens[demarc.RoleEditor],
		server.DocumentRequest{Content: content, Note: "api moves to EC2"}, map[string]string{"If-Match": `"v1"`})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("new version: %d %s", resp.StatusCode, data)
	}
	var want server.VersionDiff
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/diff?from=1&to=2", s.tokens[demarc.RoleViewer], nil, &want, http.StatusOK)
	c := s.browserClient(demarc.RoleViewer)
	_, body := page(t, c, base+"diff")
	if !strings.Contains(body, "From v1 to v2") || !strings.Contains(body, "api moves to EC2") {
		t.Fatal("the diff page does not compare v1 with v2 by default, or does not list the versions with their notes")
	}
	if n := strings.Count(body, `<td>control</td>`); n != len(want.Diff.Controls) || n == 0 {
		t.Errorf("page lists %d moved controls, the API %d", n, len(want.Diff.Controls))
	}
	_, same := page(t, c, base+"diff?from=2&to=2")
	if !strings.Contains(same, `id="nothing-moves"`) {
		t.Error("a version compared with itself should say nothing moves")
	}
	status, missing := page(t, c, base+"diff?from=1&to=9")
	if status != http.StatusNotFound || !strings.Contains(missing, `id="versions-error"`) {
		t.Errorf("an unknown version: %d, want 404 shown on the versions form", status)
	}
}

// Services side by side: a matrix of areas by service, coloured by owner
// with letters; the differs filter narrows it and it downloads.
func TestComparePage(t *testing.T) {
	s := newSite(t, false)
	var want analyze.Comparison
	s.api("GET", "/api/v1/orgs/acme/compare?services=aws/ec2,aws/lambda", s.tokens[demarc.RoleViewer], nil, &want, http.StatusOK)
	c := s.browserClient(demarc.RoleViewer)
	base := s.url + "/o/acme/compare"
	status, body := page(t, c, base+"?service=aws/ec2&service=aws/lambda")
	if status != http.StatusOK {
		t.Fatalf("compare: %d\n%s", status, body)
	}
	if n := strings.Count(body, `class="cmp-cell `); n != 2*len(want.Rows) {
		t.Errorf("matrix has %d cells, want %d", n, 2*len(want.Rows))
	}
	if !strings.Contains(body, `<td class="cmp-cell o-provider"`) || !strings.Contains(body, `<b aria-hidden="true">C</b> customer`) {
		t.Error("cells are not coloured by owner with their letter and name")
	}
	rows := csvRows(t, c, base+"?services=aws/ec2,aws/lambda&differs=yes&export=csv")
	if strings.Join(rows[0], ",") != "Differs,Area,Title,Layer,aws/ec2,aws/lambda" || len(rows)-1 != want.Differ {
		t.Errorf("CSV: header %v, %d rows, want %d differing areas", rows[0], len(rows)-1, want.Differ)
	}
	for _, r := range rows[1:] {
		if r[0] != "≠" {
			t.Errorf("differs filter kept %v", r)
		}
	}
	xl := xlsxRows(t, c, base+"?model=paas&provider=aws&provider=azure&layer=os&export=xlsx")
	if len(xl) < 2 || xl[0][4] != "aws" || slices.ContainsFunc(column(xl, 3), func(l string) bool { return l != "os" }) {
		t.Errorf("providers on paas, os layer: %v", xl)
	}
	status, body = page(t, c, base+"?service=aws/ec2&service=aws/nothing")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="compare-error"`) || !strings.Contains(body, `value="aws/nothing"`) {
		t.Errorf("unknown service: %d, want 422 on the form with the pick kept", status)
	}
	status, body = page(t, c, base)
	if status != http.StatusOK || !strings.Contains(body, "iaas as stated by aws, azure, gcp") {
		t.Errorf("first visit: %d, want IaaS across the big three", status)
	}
}
