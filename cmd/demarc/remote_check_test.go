package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/server"
)

// decodeCheckJSON reads a report printed with --format json.
func decodeCheckJSON(t *testing.T, out string) *check.Report {
	t.Helper()
	var r check.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a report: %v\n%.300s", err, out)
	}
	return &r
}

// checkRunCount is how many runs the server recorded for the web shop.
func checkRunCount(t *testing.T, s *testServer) int {
	t.Helper()
	var runs []server.CheckRunInfo
	out := mustRun(t, "checks list")(s.on(t, "checks", "list", "--system", "serverless-webshop", "-F", "json"))
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatalf("checks list -F json: %v\n%s", err, out)
	}
	return len(runs)
}

// 'demarc check' against a server prints what it prints on local files:
// the same table and SARIF, the same JSON report but for when it was made
// and the name of the system's file (the server records the document's),
// the same digests, and the same exit code for --fail-on.
func TestCheckOnServerGivesLocalReport(t *testing.T) {
	s := startServer(t, nil)
	const file, config = "examples/serverless-webshop.yaml", "examples/config/webshop"
	mustRun(t, "push")(s.on(t, "systems", "push", file))
	local := func(more ...string) []string {
		return append([]string{"check", "--system", file, "--config", config}, more...)
	}
	remote := func(more ...string) []string {
		return append([]string{"check", "--system", "serverless-webshop", "--config", config}, more...)
	}
	same := func(t *testing.T, l, r []string, code int) (string, string) {
		t.Helper()
		lo, le, lc := cli(t, "", nil, l...)
		ro, re, rc := s.on(t, r...)
		if lc != code || rc != code {
			t.Fatalf("%v: exit %d locally, %d on the server, want %d\n%s\n%s", r, lc, rc, code, le, re)
		}
		if !strings.Contains(re, "recorded as check run") {
			t.Errorf("%v: the server's run number is not given:\n%s", r, re)
		}
		return lo, ro
	}
	for _, format := range []string{"table", "sarif"} {
		t.Run(format, func(t *testing.T) {
			lo, ro := same(t, local("-F", format), remote("-F", format), 0)
			if lo != ro || !strings.Contains(lo, "aws-s3-restrict-public-buckets") {
				t.Errorf("output differs from the local command's:\n%s", firstDiff(lo, ro))
			}
		})
	}
	var serverReport *check.Report
	t.Run("json", func(t *testing.T) {
		lo, ro := same(t, local("-F", "json"), remote("-F", "json"), 0)
		l, r := decodeCheckJSON(t, lo), decodeCheckJSON(t, ro)
		sameEvidenceDigests(t, &l.Evidence, &r.Evidence)
		if r.Evidence.System.File != "serverless-webshop" || r.Evidence.GeneratedAt.IsZero() {
			t.Errorf("the server's record: system %q, made %v", r.Evidence.System.File, r.Evidence.GeneratedAt)
		}
		serverReport = r
		for _, x := range []*check.Report{l, r} {
			x.Evidence.GeneratedAt, x.Evidence.System.File = time.Time{}, ""
		}
		lj, _ := json.Marshal(l)
		rj, _ := json.Marshal(r)
		if string(lj) != string(rj) {
			t.Errorf("reports differ beyond time and system file:\n%s", firstDiff(string(lj), string(rj)))
		}
	})
	t.Run("fail-on high exits 3", func(t *testing.T) {
		lo, ro := same(t, local("--fail-on", "high"), remote("--fail-on", "high"), exitGaps)
		if lo != ro {
			t.Errorf("output differs:\n%s", firstDiff(lo, ro))
		}
	})
	t.Run("own policies only", func(t *testing.T) {
		const policy = "check/policies/aws-s3.yaml"
		lo, ro := same(t, local("--no-builtin", "--policy", policy, "-F", "json"), remote("--no-builtin", "--policy", policy, "-F", "json"), 0)
		l, r := decodeCheckJSON(t, lo), decodeCheckJSON(t, ro)
		sameEvidenceDigests(t, &l.Evidence, &r.Evidence)
		if len(r.Evidence.Policies) != 1 || r.Evidence.Policies[0].File != policy {
			t.Errorf("policy files recorded: %+v", r.Evidence.Policies)
		}
	})

	runs := checkRunCount(t, s)
	if runs != 5 {
		t.Fatalf("%d runs recorded, want 5", runs)
	}
	t.Run("checks show", func(t *testing.T) {
		table, _, _ := cli(t, "", nil, local()...)
		shown := mustRun(t, "checks show")(s.on(t, "checks", "show", "1", "--system", "serverless-webshop"))
		if shown != table {
			t.Errorf("checks show 1 differs from the local table:\n%s", firstDiff(table, shown))
		}
		_, stderr, code := s.on(t, "checks", "show", "1", "--system", "serverless-webshop", "--fail-on", "high")
		if code != exitGaps || !strings.Contains(stderr, "failing checks at severity high") {
			t.Errorf("checks show --fail-on high: exit %d\n%s", code, stderr)
		}
	})
	t.Run("checks evidence", func(t *testing.T) {
		out := mustRun(t, "evidence")(s.on(t, "checks", "evidence", "3", "--system", "serverless-webshop"))
		var ev server.CheckEvidence
		if err := json.Unmarshal([]byte(out), &ev); err != nil {
			t.Fatalf("evidence: %v\n%.300s", err, out)
		}
		if ev.Run != 3 || ev.AuditEvent == nil || ev.Hash == "" || serverReport == nil {
			t.Fatalf("evidence of run 3: run %d, audit event %v, hash %q", ev.Run, ev.AuditEvent, ev.Hash)
		}
		sameEvidenceDigests(t, &serverReport.Evidence, &ev.Evidence)
	})
	t.Run("checks list", func(t *testing.T) {
		out := mustRun(t, "list")(s.on(t, "checks", "list", "--system", "serverless-webshop", "-F", "csv"))
		if !strings.HasPrefix(out, "run,created,by,summary\n5,") || strings.Count(out, "\n") != runs+1 {
			t.Errorf("checks list:\n%s", out)
		}
	})
}

// sameEvidenceDigests compares what two evidence records say was read.
func sameEvidenceDigests(t *testing.T, want, got *check.Evidence) {
	t.Helper()
	if want.System == nil || got.System == nil || want.System.SHA256 != got.System.SHA256 {
		t.Errorf("system digest: %+v, want %+v", got.System, want.System)
	}
	if len(got.Inputs) != len(want.Inputs) || len(got.Inputs) == 0 {
		t.Fatalf("inputs: %+v, want %+v", got.Inputs, want.Inputs)
	}
	for i := range want.Inputs {
		if got.Inputs[i] != want.Inputs[i] {
			t.Errorf("input %d: %+v, want %+v", i, got.Inputs[i], want.Inputs[i])
		}
	}
	if len(got.Policies) != len(want.Policies) {
		t.Fatalf("policy files: %+v, want %+v", got.Policies, want.Policies)
	}
	for i := range want.Policies {
		if got.Policies[i] != want.Policies[i] {
			t.Errorf("policy file %d: %+v, want %+v", i, got.Policies[i], want.Policies[i])
		}
	}
}

// Configuration or policies the server cannot read fail the run with
// exit 2, naming the local file, and nothing is recorded; what the server
// cannot do is refused before anything is sent.
func TestCheckOnServerBadInput(t *testing.T) {
	s := startServer(t, nil)
	mustRun(t, "push")(s.on(t, "systems", "push", "examples/serverless-webshop.yaml"))
	outside := filepath.Join(t.TempDir(), "infra")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(outside, "plan.json")
	if err := os.WriteFile(bad, []byte(`{"format_version": "1.2", "resource_changes": [}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("no configuration here"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"check", "--system", "serverless-webshop", "--config", "examples/config/webshop"}
	with := func(more ...string) []string { return append(append([]string{}, base...), more...) }
	cases := []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"a broken plan", with("--config", "cmd/demarc/testdata/check/broken-plan.json"), exitInvalid,
			[]string{"nothing was checked or recorded", "cmd/demarc/testdata/check/broken-plan.json"}},
		{"a broken file outside the working folder", with("--config", outside), exitInvalid, []string{bad}},
		{"a broken policy", with("--policy", "cmd/demarc/testdata/check/bad-policy.yaml"), exitInvalid,
			[]string{"cmd/demarc/testdata/check/bad-policy.yaml:21", "policy team-broken"}},
		{"a missing file", with("--config", "no/such/plan.json"), exitInvalid, []string{"cannot read --config no/such/plan.json", "nothing was sent"}},
		{"a missing policy", with("--policy", "no/such/policies"), exitInvalid, []string{"cannot read --policy no/such/policies"}},
		{"no configuration", []string{"check", "--system", "serverless-webshop", "--config", empty}, exitInvalid, []string{"no configuration files"}},
		{"rego", with("--rego", "check/rego"), exitUsage, []string{"--rego is not available against a server"}},
		{"a framework file", with("--framework", "oscal/testdata/abc_catalog.json"), exitUsage, []string{"not OSCAL files"}},
		{"no policies", with("--no-builtin"), exitUsage, []string{"--no-builtin leaves no policies"}},
		{"an unknown system", []string{"check", "--system", "nowhere", "--config", "examples/config/webshop"}, exitInvalid, []string{`no system named "nowhere"`}},
		{"an unknown run", []string{"checks", "show", "7", "--system", "serverless-webshop"}, exitInvalid, []string{"has no check run 7"}},
		{"not a run", []string{"checks", "show", "first", "--system", "serverless-webshop"}, exitUsage, []string{`run "first": expected a run number`}},
		{"no system", []string{"checks", "list"}, exitUsage, []string{"name the system with --system"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := s.on(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			for _, want := range c.says {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("printed a report:\n%.300s", stdout)
			}
		})
	}
	if n := checkRunCount(t, s); n != 0 {
		t.Errorf("%d runs recorded from bad input", n)
	}
	_, stderr, code := cli(t, "", nil, "checks", "list", "--system", "x")
	if code != exitUsage || !strings.Contains(stderr, "none is configured") {
		t.Errorf("checks without a server: exit %d\n%s", code, stderr)
	}
}

// Files are sent under the names the local command reports them by, or,
// from outside the working folder, under their path from the folder that
// holds the path given.
func TestUploadNames(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "infra")
	cases := []struct{ arg, file, want string }{
		{"examples/config/webshop", filepath.Join("examples", "config", "webshop", "main.tf"), "examples/config/webshop/main.tf"},
		{"./plan.json", "plan.json", "plan.json"},
		{abs, filepath.Join(abs, "prod", "main.tf"), "infra/prod/main.tf"},
		{filepath.Join(abs, "plan.json"), filepath.Join(abs, "plan.json"), "plan.json"},
	}
	for _, c := range cases {
		got, err := uploadName(c.arg, c.file)
		if err != nil || got != c.want {
			t.Errorf("uploadName(%q, %q) = %q, %v; want %q", c.arg, c.file, got, err, c.want)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join("..", filepath.Base(wd), "x.json")
	if got, err := uploadName(parent, parent); err != nil || got != "x.json" {
		t.Errorf("uploadName(%q) = %q, %v; want x.json", parent, got, err)
	}
}

// A folder is sent as the local command walks it: each folder's .tf files
// with their variables, the configuration formats, no hidden folders.
func TestConfigWalk(t *testing.T) {
	dir := t.TempDir()
	files := []string{"main.tf", "terraform.tfvars", "prod.auto.tfvars", "k8s/app.yaml", "k8s/README.md", ".terraform/modules/x.tf",
		"node_modules/a.json", "vars/only.tfvars", "plan.tf.json", "notes.txt", ".hidden.json"}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var up uploadSet
	if err := up.addConfig(dir); err != nil {
		t.Fatal(err)
	}
	if err := up.addConfig(filepath.Join(dir, "notes.txt")); err != nil { // named files are sent whatever their name
		t.Fatal(err)
	}
	if err := up.addConfig(filepath.Join(dir, "main.tf")); err != nil { // sent once
		t.Fatal(err)
	}
	var got []string
	for _, f := range up.files {
		got = append(got, f.name)
	}
	base := filepath.Base(dir)
	want := []string{"main.tf", "prod.auto.tfvars", "terraform.tfvars", ".hidden.json", "plan.tf.json", "k8s/app.yaml"}
	for i := range want {
		want[i] = base + "/" + want[i]
	}
	want = append(want, "notes.txt")
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sent %v\nwant %v", got, want)
	}
	if up.size != len(want) {
		t.Errorf("size %d, want %d", up.size, len(want))
	}
	other := filepath.Join(t.TempDir(), base)
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "main.tf"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := up.addConfig(other); err == nil || !strings.Contains(err.Error(), "would both be sent as "+base+"/main.tf") {
		t.Errorf("two files under one name: %v", err)
	}
}
