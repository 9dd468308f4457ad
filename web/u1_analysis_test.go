package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/server"
)

// fetch GETs a UI path and returns the response with its body read.
func fetch(t *testing.T, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// csvRows downloads a page's table as CSV and parses it.
func csvRows(t *testing.T, c *http.Client, u string) [][]string {
	t.Helper()
	resp, body := fetch(t, c, u)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; ") {
		t.Fatalf("CSV export %s: %d %s %q\n%s", u, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export %s: %v", u, err)
	}
	return rows
}

// xlsxRows downloads a page's table as a workbook and reads its sheet.
func xlsxRows(t *testing.T, c *http.Client, u string) [][]string {
	t.Helper()
	resp, body := fetch(t, c, u)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("XLSX export %s: %d %s\n%s", u, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// column returns one column of exported rows, header left out.
func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows[1:] {
		if i < len(r) {
			out = append(out, r[i])
		} else {
			out = append(out, "")
		}
	}
	return out
}

// analysisSite is a site with the webshop example stored.
func analysisSite(t *testing.T) (*site, string, string) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	return s, id, s.url + "/o/acme/systems/" + id + "/"
}

// The gaps page lists the API's gaps with their severity counts; each
// filter narrows the rows and the downloads carry exactly the rows shown.
func TestGapsPageFiltersAndExports(t *testing.T) {
	s, id, base := analysisSite(t)
	var all render.GapReport
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/gaps?framework=pci-dss-4", s.tokens[demarc.RoleViewer], nil, &all, http.StatusOK)
	if len(all.Gaps) == 0 {
		t.Fatal("the webshop example has no gaps; the test needs some")
	}
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, base+"gaps?framework=pci-dss-4")
	if status != http.StatusOK {
		t.Fatalf("gaps page: %d\n%s", status, body)
	}
	if n := strings.Count(body, `<tr id="gap-`); n != len(all.Gaps) {
		t.Errorf("gaps page lists %d gaps, the API %d", n, len(all.Gaps))
	}
	for _, sev := range []string{"high", "medium", "low"} {
		if !strings.Contains(body, `<span class="sev sev-`+sev+`">`+sev+`</span> <b>`+strconv.Itoa(all.Summary[sev])+`</b>`) {
			t.Errorf("summary lacks %d %s gaps", all.Summary[sev], sev)
		}
	}
	g := all.Gaps[0]
	want := `/o/acme/systems/` + id + `/explain/` + url.PathEscape(string(g.Controls[0])) + `?framework=pci-dss-4`
	if !strings.Contains(body, `href="`+want+`"`) {
		t.Errorf("gap %s does not link its control to %s", g.ID, want)
	}
	if strings.Contains(body, "Assign a team") {
		t.Error("a viewer is offered to assign a team")
	}

	for _, kind := range []demarc.GapKind{demarc.GapNoOwner, demarc.GapOverDelegation} {
		var r render.GapReport
		s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/gaps?framework=pci-dss-4&kind="+string(kind), s.tokens[demarc.RoleViewer], nil, &r, http.StatusOK)
		_, body := page(t, c, base+"gaps?framework=pci-dss-4&kind="+string(kind))
		if n := strings.Count(body, `<tr id="gap-`); n != len(r.Gaps) || n == 0 {
			t.Errorf("kind %s: page lists %d gaps, the API %d", kind, n, len(r.Gaps))
		}
		rows := csvRows(t, c, base+"gaps?framework=pci-dss-4&kind="+string(kind)+"&export=csv")
		if rows[0][0] != "Severity" || rows[0][1] != "Kind" || len(rows)-1 != len(r.Gaps) {
			t.Errorf("kind %s: CSV has header %v and %d rows, want %d", kind, rows[0], len(rows)-1, len(r.Gaps))
		}
		for _, k := range column(rows, 1) {
			if k != string(kind) {
				t.Errorf("kind %s: CSV has a %s row", kind, k)
			}
		}
	}
	rows := xlsxRows(t, c, base+"gaps?framework=pci-dss-4&severity=medium&export=xlsx")
	var atLeast int
	for _, g := range all.Gaps {
		if g.Severity.Rank() >= demarc.SeverityMedium.Rank() {
			atLeast++
		}
	}
	if len(rows)-1 != atLeast || slices.Contains(column(rows, 0), "low") {
		t.Errorf("severity at least medium: workbook has %d rows (severities %v), want %d", len(rows)-1, column(rows, 0), atLeast)
	}
	comp := all.Gaps[0].Components[0]
	rows = csvRows(t, c, base+"gaps?framework=pci-dss-4&component="+url.QueryEscape(comp)+"&export=csv")
	for _, cs := range column(rows, 5) {
		if !slices.Contains(strings.Split(cs, ", "), comp) {
			t.Errorf("component %s: CSV has a gap of %q", comp, cs)
		}
	}
}

// Naming a team is the fix of a gap of customer work nobody does: an
// editor gets a link to the composer that prefills the area.
func TestGapsPageOffersToAssignATeam(t *testing.T) {
	s, id, base := analysisSite(t)
	var r render.GapReport
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/gaps?kind=no-customer-owner", s.tokens[demarc.RoleEditor], nil, &r, http.StatusOK)
	if len(r.Gaps) == 0 {
		t.Fatal("the webshop example has no gap without an owner")
	}
	_, body := page(t, s.browserClient(demarc.RoleEditor), base+"gaps?kind=no-customer-owner")
	want := `/o/acme/systems/` + id + `/edit?area=` + url.QueryEscape(string(r.Gaps[0].Areas[0])) + `#teams`
	if !strings.Contains(body, `href="`+want+`">Assign a team</a>`) {
		t.Errorf("no link %s on the gaps page", want)
	}
}

// A filter value the page does not know is named in a message and
// ignored (status 400); an export with it is refused rather than
// silently unfiltered; a date the API refuses is shown with the form.
func TestAnalysisPagesReportBadFilters(t *testing.T) {
	s, _, base := analysisSite(t)
	c := s.browserClient(demarc.RoleViewer)
	cases := []struct{ path, want string }{
		{"gaps?severity=severe", `Filter severity at least: &#34;severe&#34; is not one of low, medium, high`},
		{"gaps?kind=nope", `Filter kind: &#34;nope&#34; is not one of unassigned`},
		{"gaps?component=ghost", `Filter component: &#34;ghost&#34; is not one of`},
		{"incidents?type=alien-invasion", `Filter incident type: &#34;alien-invasion&#34; is not one of`},
		{"telemetry?coverage=full", `Filter coverage: &#34;full&#34; is not one of covered`},
		{"risk?level=extreme", `Filter level: &#34;extreme&#34; is not one of critical, high, medium, low`},
		{"risk?min_score=99", `Filter lowest score: &#34;99&#34; is not a whole number from 1 to 25`},
		{"diff?change=files", `Filter changes: &#34;files&#34; is not one of control, area`},
	}
	for _, tc := range cases {
		status, body := page(t, c, base+tc.path)
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="filter-notes"`) {
			t.Errorf("%s: %d, want 400 with %q", tc.path, status, tc.want)
		}
		resp, data := fetch(t, c, base+tc.path+"&export=csv")
		if resp.StatusCode != http.StatusBadRequest || strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s export: %d %q, want 400 and no file\n%s", tc.path, resp.StatusCode, resp.Header.Get("Content-Disposition"), data)
		}
	}
	status, body := page(t, c, base+"gaps?as_of=2025-13-40&kind=conflict")
	if status != http.StatusBadRequest || !strings.Contains(body, `id="analysis-error"`) || !strings.Contains(body, "as_of") ||
		!strings.Contains(body, `value="2025-13-40"`) {
		t.Errorf("bad as_of: %d, want 400 with the API's message and the date kept", status)
	}
	status, body = page(t, c, base+"risk?framework=no-such-framework")
	if status != http.StatusBadRequest || !strings.Contains(body, "unknown framework") {
		t.Errorf("bad framework: %d, want 400 naming the framework", status)
	}
}

// The incidents page lists each incident type's duties with the parties
// and their contacts, and the notification deadlines; the type filter
// narrows both, and both download.
func TestIncidentsPage(t *testing.T) {
	s, id, base := analysisSite(t)
	var r server.IncidentReport
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/incidents", s.tokens[demarc.RoleViewer], nil, &r, http.StatusOK)
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, base+"incidents")
	if status != http.StatusOK {
		t.Fatalf("incidents page: %d\n%s", status, body)
	}
	for _, p := range r.Incidents {
		if !strings.Contains(body, `<tbody id="incident-`+p.Type.ID+`">`) {
			t.Errorf("incident type %s is missing", p.Type.ID)
		}
	}
	if !strings.Contains(body, "security@example.com") || !strings.Contains(body, "AWS Support security case") {
		t.Error("the page does not say how to reach the customer's team and the provider")
	}
	typ := r.Incidents[0]
	_, one := page(t, c, base+"incidents?type="+typ.Type.ID)
	if n := strings.Count(one, `<tbody id="incident-`); n != 1 {
		t.Errorf("type filter shows %d incident types, want 1", n)
	}
	rows := csvRows(t, c, base+"incidents?type="+typ.Type.ID+"&export=csv")
	want := 0
	for _, d := range typ.Duties {
		want += len(d.Parties)
	}
	if rows[0][0] != "Incident type" || len(rows)-1 != want {
		t.Errorf("duties CSV: header %v, %d rows, want %d", rows[0], len(rows)-1, want)
	}
	for _, tt := range column(rows, 0) {
		if tt != typ.Type.Title {
			t.Errorf("duties CSV of %s has a row of %q", typ.Type.ID, tt)
		}
	}
	notices := xlsxRows(t, c, base+"incidents?type="+typ.Type.ID+"&table=notifications&export=xlsx")
	if notices[0][1] != "Who notifies" || len(notices)-1 != len(typ.Notifications) {
		t.Errorf("notifications workbook: header %v, %d rows, want %d", notices[0], len(notices)-1, len(typ.Notifications))
	}
	_, customer := page(t, c, base+"incidents?duty=communicate&party=customer")
	if strings.Contains(customer, "<td>investigate</td>") || !strings.Contains(customer, "<td>communicate</td>") {
		t.Error("duty filter does not narrow the rows to communicate")
	}
}

// The telemetry page shows each coverage's count and narrows to one; the
// log sources behind the rows download too.
func TestTelemetryPage(t *testing.T) {
	s, id, base := analysisSite(t)
	var r analyze.TelemetryReport
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/telemetry?coverage=needs-enabling", s.tokens[demarc.RoleViewer], nil, &r, http.StatusOK)
	if len(r.Duties) == 0 {
		t.Fatal("the webshop example has no logs to enable")
	}
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, base+"telemetry?coverage=needs-enabling")
	if status != http.StatusOK {
		t.Fatalf("telemetry page: %d\n%s", status, body)
	}
	if n := strings.Count(body, `<tr class="cov-row-`); n != len(r.Duties) {
		t.Errorf("page lists %d duties, the API %d", n, len(r.Duties))
	}
	if !strings.Contains(body, `<span class="n">`+strconv.Itoa(r.Summary[analyze.NotObservable])+`</span><br>not observable`) {
		t.Error("the not-observable count is missing")
	}
	rows := csvRows(t, c, base+"telemetry?coverage=needs-enabling&export=csv")
	if len(rows)-1 != len(r.Duties) || slices.ContainsFunc(column(rows, 4), func(s string) bool { return s != "needs enabling" }) {
		t.Errorf("CSV: %d rows with coverages %v, want %d needing enabling", len(rows)-1, column(rows, 4), len(r.Duties))
	}
	sources := csvRows(t, c, base+"telemetry?coverage=needs-enabling&table=sources&export=csv")
	if sources[0][0] != "Log source" || len(sources) < 2 {
		t.Fatalf("sources CSV: %v", sources)
	}
	for _, st := range column(sources, 2) {
		if !strings.HasPrefix(st, "must be enabled") {
			t.Errorf("a source to enable is said to be %q", st)
		}
	}
}

// The risk page splits risk into provider- and customer-managed as the
// API does, and its filters narrow the table and its downloads.
func TestRiskPage(t *testing.T) {
	s, id, base := analysisSite(t)
	var r analyze.RiskReport
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/risk", s.tokens[demarc.RoleViewer], nil, &r, http.StatusOK)
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, base+"risk")
	if status != http.StatusOK {
		t.Fatalf("risk page: %d\n%s", status, body)
	}
	for _, side := range []string{analyze.ProviderManaged, analyze.CustomerManaged} {
		tot := r.Split[side]
		if !strings.Contains(body, `<span class="n">`+strconv.Itoa(tot.Count)+`</span> risks, total score <b>`+strconv.Itoa(tot.Score)+`</b>`) {
			t.Errorf("%s: the page lacks %d risks scoring %d", side, tot.Count, tot.Score)
		}
	}
	if !strings.Contains(body, `/o/acme/systems/`+id+`/gaps?framework=nist-800-53-r5#gap-`+r.Risks[0].Gap) {
		t.Error("a risk does not link to its gap")
	}
	rows := xlsxRows(t, c, base+"risk?managed_by=customer-managed&min_score=10&export=xlsx")
	want := 0
	for _, rk := range r.Risks {
		if rk.ManagedBy == analyze.CustomerManaged && rk.Score >= 10 {
			want++
		}
	}
	if rows[0][0] != "Level" || len(rows)-1 != want {
		t.Errorf("workbook: header %v, %d rows, want %d", rows[0], len(rows)-1, want)
	}
	for _, r := range rows[1:] {
		if n, _ := strconv.Atoi(r[1]); n < 10 || r[6] != analyze.CustomerManaged {
			t.Errorf("filtered workbook has row %v", r)
		}
	}
	_, critical := page(t, c, base+"risk?level=critical")
	if strings.Contains(critical, `<tr class="risk-row-low">`) || !strings.Contains(critical, `<tr class="risk-row-critical">`) {
		t.Error("the level filter does not narrow to critical risks")
	}
}

// apiDo sends a request to the API with a token and extra headers.
func apiDo(t *testing.T, s *site, method, path, token string, in any, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	r, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	if in != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// exampleFile reads a file of the repository's examples.
func exampleFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
