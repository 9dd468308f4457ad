package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// providerStatements lists the names of the organisation's provider
// documents, straight from the store.
func (s *testServer) providerStatements(t *testing.T) []string {
	t.Helper()
	docs, _, err := s.store.Documents(context.Background(), s.org.ID, demarc.DocumentFilter{Kind: demarc.DocProvider})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Name)
	}
	return names
}

// An import against a server stores the framework as a provider statement
// of the organisation, says what it decided as the local import does,
// and refuses to overwrite one unless --replace; the framework then
// drives the server's matrix and is in the organisation's library.
func TestImportOnServer(t *testing.T) {
	s := startServer(t, nil)
	mustRun(t, "push")(s.on(t, "systems", "push", "examples/serverless-webshop.yaml"))
	const catalog = "oscal/testdata/abc_catalog.json"

	_, localErr, code := cli(t, "", nil, "import", "oscal-catalog", catalog)
	if code != 0 {
		t.Fatalf("local import: exit %d\n%s", code, localErr)
	}
	out, stderr, code := s.on(t, "import", "oscal-catalog", catalog)
	if code != 0 || !strings.HasPrefix(out, "created provider statement abc (doc_") || !strings.Contains(out, "framework abc") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	if stderr != localErr {
		t.Errorf("the summary differs from the local import's:\n%s", firstDiff(localErr, stderr))
	}

	_, stderr, code = s.on(t, "import", "oscal-catalog", catalog)
	if code != exitInvalid || !strings.Contains(stderr, `named "abc" already exists`) || !strings.Contains(stderr, "add --replace") {
		t.Errorf("a second import: exit %d\n%s", code, stderr)
	}
	out = mustRun(t, "replace, unchanged")(s.on(t, "import", "oscal-catalog", catalog, "--replace"))
	if !strings.Contains(out, "provider statement abc") || !strings.Contains(out, "unchanged at version 1") {
		t.Errorf("replace with the same file: %s", out)
	}
	v2 := filepath.Join(t.TempDir(), "abc_catalog.json")
	if err := os.WriteFile(v2, []byte(strings.Replace(string(mustRead(t, filepath.Join(repoRoot, catalog))), "ABC Test Catalog", "ABC Test Catalog, revised", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "replace")(s.on(t, "import", "oscal-catalog", v2, "--replace"))
	if !strings.HasPrefix(out, "stored version 2 of provider statement abc") {
		t.Errorf("replace: %s", out)
	}

	lib := mustRun(t, "dry run")(s.on(t, "import", "oscal-catalog", catalog, "--dry-run", "--name", "preview"))
	if !strings.HasPrefix(lib, "# demarc library file: framework abc") || !strings.Contains(lib, "frameworks:") {
		t.Errorf("dry run printed:\n%.300s", lib)
	}
	if got := s.providerStatements(t); strings.Join(got, ",") != "abc" {
		t.Errorf("provider statements after a dry run: %v", got)
	}

	var m demarc.Matrix
	if err := json.Unmarshal([]byte(mustRun(t, "matrix")(s.on(t, "matrix", "--system", "serverless-webshop", "--framework", "abc", "-F", "json"))), &m); err != nil {
		t.Fatal(err)
	}
	if m.Framework != "abc" || len(m.Controls) == 0 {
		t.Errorf("matrix of the imported framework: %s with %d controls", m.Framework, len(m.Controls))
	}
	remote := mustRun(t, "library list")(s.on(t, "library", "list", "frameworks", "-F", "csv"))
	local := mustRun(t, "local library list")(cli(t, "", nil, "library", "list", "frameworks", "-F", "csv"))
	if !strings.Contains(remote, "\nabc,\"ABC Test Catalog, revised\",1.0,") || strings.Contains(local, "\nabc,") {
		t.Errorf("the imported framework is not in the organisation's library alone:\nserver:\n%s\nlocal:\n%s", remote, local)
	}

	_, stderr, code = cli(t, "", nil, "import", "oscal-catalog", catalog, "--dry-run")
	if code != exitUsage || !strings.Contains(stderr, "none is configured") {
		t.Errorf("--dry-run without a server: exit %d\n%s", code, stderr)
	}
}

// Imports the server cannot make as asked are refused before anything is
// stored, naming the file and what to do.
func TestImportOnServerRefusals(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"import", "oscal-catalog", "oscal/testdata/truncated_catalog.json"}, exitInvalid, "truncated_catalog.json"},
		{[]string{"import", "oscal-catalog", "oscal/testdata/select_profile.json"}, exitInvalid, "profile"},
		{[]string{"import", "oscal-profile", "oscal/testdata/select_profile.json"}, exitInvalid, "give the catalog it imports with --catalog FILE"},
		{[]string{"import", "oscal-catalog", "oscal/testdata/nope.json"}, exitInvalid, "cannot read oscal/testdata/nope.json"},
		{[]string{"import", "oscal-ssp", "oscal/testdata/leveraged_ssp.json"}, exitInvalid, "model"},
		{[]string{"import", "oscal-ssp", "oscal/testdata/leveraging_ssp.json", "--leveraged", "oscal/testdata/leveraged_ssp.json"}, exitUsage, "--leveraged is not available against a server"},
		{[]string{"import", "prowler", "x.json", "--format", "json"}, exitUsage, "--format json is not available against a server"},
		{[]string{"--library", "x.yaml", "import", "oscal-catalog", "oscal/testdata/abc_catalog.json"}, exitUsage, "--library is not available against a server"},
	}
	for _, c := range cases {
		_, stderr, code := s.on(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", c.args, code, c.code, c.says, stderr)
		}
	}
	if got := s.providerStatements(t); len(got) != 0 {
		t.Errorf("refused imports stored %v", got)
	}
}

// NIST's SP 800-53 catalog, imported on the server, is a framework the
// server's matrix takes, with the matrix the local library file gives.
func TestImportNISTCatalogOnServer(t *testing.T) {
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	const id = "nist-sp-800-53-rev5-catalog-2021"
	s := startServer(t, nil)
	mustRun(t, "push")(s.on(t, "systems", "push", "examples/serverless-webshop.yaml"))
	lib := filepath.Join(t.TempDir(), "nist.yaml")
	_, localErr, code := cli(t, "", nil, "import", "oscal-catalog", catalog, "-o", lib)
	if code != 0 {
		t.Fatalf("local import: exit %d\n%s", code, localErr)
	}
	out, stderr, code := s.on(t, "import", "oscal-catalog", catalog)
	if code != 0 || !strings.Contains(out, "framework "+id) || stderr != localErr {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, firstDiff(localErr, stderr))
	}
	local := mustRun(t, "local matrix")(cli(t, "", nil, "matrix", "--library", lib, "--framework", id, "--system", "examples/serverless-webshop.yaml", "-F", "csv"))
	remote := mustRun(t, "server matrix")(s.on(t, "matrix", "--framework", id, "--system", "serverless-webshop", "-F", "csv"))
	if local != remote || strings.Count(remote, "\n") < 1000 {
		t.Errorf("the server's matrix of the imported catalog differs from the local one:\n%s", firstDiff(local, remote))
	}
}

// A Prowler mapping imported on the server is summarised as the local
// import summarises it, less the file's shape, which the server does not
// report.
func TestImportProwlerOnServer(t *testing.T) {
	file := realdata.Path(t, "prowler-compliance/cis_3.0_azure.json")
	s := startServer(t, nil)
	_, localErr, code := cli(t, "", nil, "import", "prowler", file)
	if code != 0 {
		t.Fatalf("local import: exit %d\n%s", code, localErr)
	}
	out, stderr, code := s.on(t, "import", "prowler", file)
	if code != 0 || !strings.Contains(out, "framework cis-3.0-azure") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	if want := regexp.MustCompile(` \(\w+ shape\)`).ReplaceAllString(localErr, ""); stderr != want {
		t.Errorf("summary differs:\n%s", firstDiff(want, stderr))
	}
}

// library and compare read the organisation's library on a server: the
// same entries as the built-in library, and its own statements besides.
func TestLibraryAndCompareOnServer(t *testing.T) {
	s := startServer(t, nil)
	out := mustRun(t, "import ssp")(s.on(t, "import", "oscal-ssp", "oscal/testdata/leveraged_ssp.json", "--model", "iaas"))
	if !strings.Contains(out, "service platform-inc/system") {
		t.Fatalf("import: %s", out)
	}
	same := func(t *testing.T, args ...string) {
		t.Helper()
		lo, le, lc := cli(t, "", nil, args...)
		ro, re, rc := s.on(t, args...)
		if lc != 0 || rc != 0 || lo != ro || lo == "" {
			t.Errorf("%v: exit %d and %d, output differs:\n%s\n%s%s", args, lc, rc, firstDiff(lo, ro), le, re)
		}
	}
	for _, args := range [][]string{
		{"library", "show", "aws/lambda"},
		{"library", "show", "nist-800-53-r5", "-F", "json"},
		{"library", "show", "os.patching"},
		{"compare", "--services", "aws/rds,azure/sql-database,gcp/cloud-sql"},
		{"compare", "--model", "paas", "--differ-only", "-F", "markdown"},
		{"compare", "--model", "iaas", "--providers", "aws,gcp", "-F", "json"},
	} {
		same(t, args...)
	}

	remote := mustRun(t, "services")(s.on(t, "library", "list", "services", "-F", "csv"))
	local := mustRun(t, "local services")(cli(t, "", nil, "library", "list", "services", "-F", "csv"))
	if !strings.HasPrefix(remote, "id,title,model,category,source\n") || !strings.Contains(remote, "\nplatform-inc/system,Test Platform,iaas,other,platform-inc/system\n") ||
		!strings.Contains(remote, "\naws/lambda,") || strings.Contains(local, "platform-inc/system") {
		t.Errorf("services on the server:\n%s\nlocally:\n%s", remote, local)
	}
	shown, stderr, code := s.on(t, "library", "show", "platform-inc/system")
	if code != 0 || !strings.HasPrefix(shown, "id: platform-inc/system\n") || !strings.Contains(stderr, "provider statement platform-inc/system") {
		t.Errorf("library show of an organisation's service: exit %d\n%s\n%s", code, shown, stderr)
	}
	cmp := mustRun(t, "compare with the organisation's service")(s.on(t, "compare", "--services", "aws/ec2,platform-inc/system"))
	if !strings.Contains(cmp, "platform-inc/system") {
		t.Errorf("compare:\n%s", cmp)
	}
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"library", "show", "aws/lamda"}, exitInvalid, `no provider, service, framework, area or model is called "aws/lamda"`},
		{[]string{"library", "list", "widgets"}, exitUsage, `cannot list "widgets"`},
		{[]string{"compare", "--services", "aws/ec2,nope/x"}, exitInvalid, "nope/x"},
		{[]string{"compare"}, exitUsage, "give --model"},
		{[]string{"--library", "x.yaml", "library", "list", "services"}, exitUsage, "--library is not available against a server"},
	}
	for _, c := range cases {
		_, stderr, code := s.on(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", c.args, code, c.code, c.says, stderr)
		}
	}
}

// A what-if on a server is answered there, with the organisation's
// library: the same diff as on the local file, and swaps to the
// organisation's own services too.
func TestWhatIfOnServer(t *testing.T) {
	s := startServer(t, nil)
	const file = "examples/serverless-webshop.yaml"
	mustRun(t, "push")(s.on(t, "systems", "push", file))
	for _, format := range []string{"table", "json", "csv"} {
		lo := mustRun(t, "local")(cli(t, "", nil, "diff", file, "--swap", "api=aws/ec2", "--swap", "orders-db=aws/rds", "-F", format))
		ro := mustRun(t, "server")(s.on(t, "diff", "--system", "serverless-webshop", "--swap", "api=aws/ec2", "--swap", "orders-db=aws/rds", "-F", format))
		if lo != ro {
			t.Errorf("%s: the what-if differs from the local one:\n%s", format, firstDiff(lo, ro))
		}
	}
	mustRun(t, "import")(s.on(t, "import", "oscal-ssp", "oscal/testdata/leveraged_ssp.json", "--model", "iaas"))
	out := mustRun(t, "swap to an organisation's service")(s.on(t, "diff", "--system", "serverless-webshop", "--swap", "api=platform-inc/system", "-F", "json"))
	if !strings.Contains(out, `"to": "platform-inc/system"`) {
		t.Errorf("what-if to the organisation's service:\n%.500s", out)
	}
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"diff", "--system", "serverless-webshop", "--swap", "api"}, exitUsage, "expected COMPONENT=SERVICE"},
		{[]string{"diff", "--system", "serverless-webshop", "--swap", "nothing=aws/ec2"}, exitInvalid, `no component "nothing"`},
		{[]string{"diff", "--system", "serverless-webshop", "--swap", "api=nope/x"}, exitInvalid, `no service "nope/x"`},
	}
	for _, c := range cases {
		_, stderr, code := s.on(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", c.args, code, c.code, c.says, stderr)
		}
	}
}
