package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	regoPolicies = "check/rego/testdata/policies"
	regoInputs   = "check/rego/testdata/inputs"
)

// 'demarc check --rego': conftest-style policies beside or instead of the
// built-in pack, in the same report, with the same exit codes.
func TestCheckRego(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{
			name:   "Rego only",
			args:   []string{"check", "-s", checkSystem, "-c", regoInputs, "--rego", regoPolicies, "--no-builtin"},
			stdout: []string{"8 policies", "kubernetes.pods.deny_host_ipc  Pod/web", "Pod web shares the host IPC namespace", "main.deny  check/rego/testdata/inputs/alb/main.tf", "Controls evidenced by checks"},
		},
		{
			name:   "beside the built-in pack",
			args:   []string{"check", "-s", checkSystem, "-c", checkK8s, "-c", regoInputs + "/pods.yaml", "--rego", regoPolicies},
			stdout: []string{"k8s-no-privileged-containers", "kubernetes.pods.deny_host_ipc"},
		},
		{
			name:   "fail-on counts Rego findings",
			args:   []string{"check", "-s", checkSystem, "-c", regoInputs + "/pods.yaml", "--rego", regoPolicies, "--no-builtin", "--fail-on", "high"},
			code:   3,
			stderr: []string{"1 failing checks at severity high or above"},
		},
		{
			name:   "bad policies are reported, the good ones run",
			args:   []string{"check", "-s", checkSystem, "-c", regoInputs + "/pods.yaml", "--rego", "check/rego/testdata/bad", "--no-builtin"},
			code:   2,
			stdout: []string{"bad.good.deny", "check/rego/testdata/bad/network.rego:6", "http.send is not allowed", "check/rego/testdata/bad/syntax.rego:6"},
			stderr: []string{"problems reading the configuration or policies; the rest was checked"},
		},
		{
			name:   "a rule that loops is stopped and named",
			args:   []string{"check", "-s", checkSystem, "-c", regoInputs + "/pods.yaml", "--rego", "check/rego/testdata/loop", "--no-builtin", "--rego-deadline", "100ms"},
			code:   2,
			stdout: []string{"check/rego/testdata/loop/loop.rego:13", "data.loop.deny_forever", "did not finish within 100ms"},
		},
		{
			name:   "no Rego policies",
			args:   []string{"check", "-s", checkSystem, "-c", regoInputs + "/pods.yaml", "--rego", "check/rego/testdata/inputs", "--no-builtin"},
			code:   2,
			stdout: []string{"no Rego policies (.rego files other than *_test.rego) found"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstderr: %s\nstdout: %.3000s", code, c.code, stderr, stdout)
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%.4000s", w, stdout)
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, stderr)
				}
			}
		})
	}
}

// The JSON report carries each Rego finding's message, the resource it is
// attached to and the areas its metadata maps it to, and the digest of
// every policy file.
func TestCheckRegoJSON(t *testing.T) {
	stdout, stderr, code := runCLI(t, "check", "-s", checkSystem, "-c", regoInputs+"/pods.yaml", "--rego", regoPolicies, "--no-builtin", "-F", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Evidence struct {
			Policies []struct{ File, SHA256 string } `json:"policy_files"`
		}
		Findings []struct {
			Policy, Resource, Reason, Severity string
			Areas                              []string
		}
		Controls []struct {
			ID, State string
			Policies  []string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Evidence.Policies) != 4 || len(r.Evidence.Policies[0].SHA256) != 64 {
		t.Errorf("policy files %+v", r.Evidence.Policies)
	}
	found := false
	for _, f := range r.Findings {
		if f.Policy == "kubernetes.pods.deny_host_ipc" && f.Resource == "Pod/web" && f.Reason == "Pod web shares the host IPC namespace" &&
			f.Severity == "high" && len(f.Areas) == 1 && f.Areas[0] == "container.workload-config" {
			found = true
		}
	}
	if !found {
		t.Errorf("findings %+v", r.Findings)
	}
	failing := 0
	for _, c := range r.Controls {
		for _, p := range c.Policies {
			if p == "kubernetes.pods.deny_host_ipc" && c.State == "failing" {
				failing++
			}
		}
	}
	if failing == 0 {
		t.Error("no control fails on the Rego finding")
	}
}
