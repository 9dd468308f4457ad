package rego

import (
	"slices"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

func knownAreas(ids ...demarc.AreaID) func(demarc.AreaID) bool {
	return func(a demarc.AreaID) bool { return slices.Contains(ids, a) }
}

// Every deny, violation and warn rule becomes a policy whose metadata
// comes from the nearest annotation; helpers, exceptions and tests do not.
func TestLoadPolicies(t *testing.T) {
	set, problems := Load([]string{"testdata/policies"}, LoadOptions{})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := []struct {
		id       string
		title    string
		severity check.Severity
		areas    []demarc.AreaID
		types    []string
		line     int
	}{
		{"main.deny", "main.deny", check.SeverityHigh, nil, nil, 4},
		{"main.warn", "main.warn", check.SeverityLow, nil, nil, 10},
		{"kubernetes.pods.deny_host_ipc", "Pods do not share the host's IPC namespace", check.SeverityHigh, []demarc.AreaID{"container.workload-config"}, nil, 15},
		{"kubernetes.pods.violation_run_as_root", "Containers do not run as root", check.SeverityMedium, []demarc.AreaID{"container.workload-config"}, nil, 24},
		{"kubernetes.pods.warn_latest", "Containers name their image's tag", check.SeverityLow, []demarc.AreaID{"container.workload-config"}, nil, 32},
		{"terraform.s3.deny_unencrypted", "S3 buckets are encrypted at rest", check.SeverityHigh, []demarc.AreaID{"data.encryption-at-rest"}, []string{"aws_s3_bucket"}, 24},
		{"terraform.s3.deny_public", "S3 buckets are not public", check.SeverityCritical, []demarc.AreaID{"data.access-governance"}, []string{"aws_s3_bucket"}, 36},
		{"terraform.s3.warn_force_destroy", "S3 buckets in Terraform plans: warn_force_destroy", check.SeverityLow, []demarc.AreaID{"data.encryption-at-rest"}, nil, 43},
	}
	got := set.Policies()
	if len(got) != len(want) {
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		t.Fatalf("policies %v, want %d", ids, len(want))
	}
	rules := map[string]*regoRule{}
	for _, p := range set.packages {
		for _, r := range p.rules {
			rules[r.policy.ID] = r
		}
	}
	for i, w := range want {
		p := got[i]
		if p.ID != w.id || p.Title != w.title || p.Severity != w.severity || !slices.Equal(p.Areas, w.areas) && len(w.areas)+len(p.Areas) > 0 {
			t.Errorf("policy %d: %s %q %s %v, want %s %q %s %v", i, p.ID, p.Title, p.Severity, p.Areas, w.id, w.title, w.severity, w.areas)
		}
		if p.Pos.Line != w.line || !strings.HasSuffix(p.Pos.File, ".rego") {
			t.Errorf("%s defined at %s, want line %d", p.ID, p.Pos, w.line)
		}
		if r := rules[w.id]; r == nil || !slices.Equal(r.types, w.types) {
			t.Errorf("%s types %v, want %v", w.id, r.types, w.types)
		}
	}
	if p := got[5]; p.Message != "Every S3 bucket has a server-side encryption configuration." || p.Remediation != "Add a server_side_encryption_configuration block to the bucket." {
		t.Errorf("message %q, remediation %q", p.Message, p.Remediation)
	}
	if len(set.Sources) != 4 {
		t.Errorf("sources %v: the test file is no policy source", set.Sources)
	}
}

// A bad file is reported with file and line; the others still load.
func TestLoadProblems(t *testing.T) {
	set, problems := Load([]string{"testdata/bad"}, LoadOptions{KnownArea: knownAreas("data.backup")})
	want := []string{
		"bad/syntax.rego:6: rego: non-terminated string",
		"bad/network.rego:6: rego: http.send is not allowed",
		"bad/undefined.rego:6: rego: undefined function no_such_function",
		"bad/boolean.rego:5: data.bad.boolean.deny: the rule is a boolean and yields no messages",
		`bad/boolean.rego:9: custom.areas: data.bad.boolean.warn_meta: unknown area "data.no-such-area"`,
		"bad/boolean.rego:9: custom.severity: data.bad.boolean.warn_meta: unknown severity severe",
		"bad/boolean.rego:9: custom.types: data.bad.boolean.warn_meta: expected a list of resource types",
	}
	text := problems.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("problems lack %q:\n%s", w, text)
		}
	}
	var ids []string
	for _, p := range set.Policies() {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"bad.boolean.warn_meta", "bad.good.deny"}) {
		t.Errorf("policies %v: the good ones must load", ids)
	}
	if p := set.Policies()[0]; !slices.Equal(p.Areas, []demarc.AreaID{"data.backup"}) || p.Severity != check.SeverityLow {
		t.Errorf("bad metadata: areas %v severity %s, want the known area and the default", p.Areas, p.Severity)
	}
}

// Built-ins that reach the network or the environment are not there.
func TestUnsafeBuiltins(t *testing.T) {
	cases := map[string]string{
		"http.send":          `r := http.send({"method": "GET", "url": "http://127.0.0.1:1"}); r.status_code == 200`,
		"net.lookup_ip_addr": `count(net.lookup_ip_addr("localhost")) > 0`,
		"opa.runtime":        `opa.runtime().env.HOME != ""`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "p.rego", "package p\n\nimport rego.v1\n\ndeny contains \"x\" if {\n\t"+body+"\n}\n")
			set, problems := Load([]string{dir}, LoadOptions{})
			if len(set.Policies()) != 0 || !strings.Contains(problems.Error(), name+" is not allowed") || !strings.Contains(problems.Error(), "p.rego:6") {
				t.Errorf("policies %d, problems %v", len(set.Policies()), problems)
			}
		})
	}
}

func TestLoadNothing(t *testing.T) {
	empty := t.TempDir()
	writeFile(t, empty, "only_test.rego", "package p\n")
	cases := map[string]struct {
		paths []string
		want  string
	}{
		"missing":        {[]string{"testdata/no-such-dir"}, "testdata/no-such-dir: cannot read: no such file or directory"},
		"only tests":     {[]string{empty}, "no Rego policies (.rego files other than *_test.rego) found"},
		"not rego":       {[]string{"testdata/inputs/pods.yaml"}, "pods.yaml:1: rego:"},
		"a package only": {[]string{"testdata/policies/lib.rego"}, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			set, problems := Load(c.paths, LoadOptions{})
			if len(set.Policies()) != 0 {
				t.Errorf("policies %v", set.Policies())
			}
			if c.want == "" && len(problems) > 0 || c.want != "" && !strings.Contains(problems.Error(), c.want) {
				t.Errorf("problems %q, want %q", problems.Error(), c.want)
			}
		})
	}
}

// Exceptions name a rule by its suffix, as in conftest.
func TestExceptionName(t *testing.T) {
	for name, want := range map[string]string{"deny": "", "warn": "", "violation": "", "deny_run_as_root": "run_as_root", "warn_x_y": "x_y", "violation_1": "1"} {
		if got := (&regoRule{name: name}).exceptionName(); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
