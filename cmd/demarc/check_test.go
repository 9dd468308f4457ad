package main

import (
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

const (
	checkSystem = "cmd/demarc/testdata/check/system.yaml"
	checkK8s    = "cmd/demarc/testdata/check/k8s.yaml"
)

// 'demarc check' end to end: formats, exit codes, and bad input that is
// reported while everything else is still checked.
func TestCheckCommand(t *testing.T) {
	examples := realdata.Path(t, "configs/aquasecurity-trivy-checks/examples")
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{
			name:   "table",
			args:   []string{"check", "-s", checkSystem, "-c", checkK8s},
			stdout: []string{"check-demo — nist-800-53-r5", "k8s-no-privileged-containers", "Deployment/shop/web", "k8s.yaml:1", "privileged=true", "Customer areas that need manual evidence"},
		},
		{
			name:   "a folder of real configuration, unsupported files skipped",
			args:   []string{"check", "-s", "examples/serverless-webshop.yaml", "-c", examples, "--framework", "iso-27001-2022"},
			stdout: []string{"serverless-webshop — iso-27001-2022", "aws-s3-versioning", "Skipped, not a configuration format", "docker-compose.yaml"},
		},
		{
			name:   "fail-on exits 3",
			args:   []string{"check", "-s", checkSystem, "-c", checkK8s, "--fail-on", "critical"},
			code:   3,
			stderr: []string{"1 failing checks at severity critical or above"},
		},
		{
			name: "fail-on below every failure still passes",
			args: []string{"check", "-s", "examples/serverless-webshop.yaml", "-c", filepath.Join(examples, "cloudformation", "template.json"), "--fail-on", "critical"},
		},
		{
			name:   "a broken policy is reported, the rest run",
			args:   []string{"check", "-s", checkSystem, "-c", checkK8s, "--policy", "cmd/demarc/testdata/check/bad-policy.yaml"},
			code:   2,
			stdout: []string{"k8s-no-privileged-containers", "Not checked (1)", "bad-policy.yaml:21", "policy team-broken"},
			stderr: []string{"1 problems reading the configuration or policies; the rest was checked"},
		},
		{
			name:   "a broken input is reported, the rest checked",
			args:   []string{"check", "-s", checkSystem, "-c", checkK8s, "-c", "cmd/demarc/testdata/check/broken-plan.json"},
			code:   2,
			stdout: []string{"k8s-no-privileged-containers", "broken-plan.json"},
		},
		{
			name:   "nothing readable",
			args:   []string{"check", "-s", checkSystem, "-c", "cmd/demarc/testdata/check/missing.json"},
			code:   2,
			stderr: []string{"no configuration was read", "missing.json"},
		},
		{
			name:   "config is required",
			args:   []string{"check", "-s", checkSystem},
			code:   1,
			stderr: []string{`required flag(s) "config" not set`},
		},
		{
			name:   "unknown severity",
			args:   []string{"check", "-s", checkSystem, "-c", checkK8s, "--fail-on", "severe"},
			code:   1,
			stderr: []string{"expected low, medium, high or critical"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, c.code, stderr)
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
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

func TestCheckMachineFormats(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "check", "-s", checkSystem, "-c", checkK8s, "-F", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r struct {
			Evidence struct {
				Tool   struct{ Name, Version string }
				System struct{ SHA256 string }
				Inputs []struct {
					File, SHA256 string
					Resources    int
				}
			}
			Resources []struct {
				ID     string
				Checks []struct {
					Policy, Status string
					Values         []struct{ Path string }
				}
			}
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		if r.Evidence.Tool.Name != "demarc" || len(r.Evidence.System.SHA256) != 64 || len(r.Evidence.Inputs) != 1 || len(r.Evidence.Inputs[0].SHA256) != 64 {
			t.Errorf("evidence %+v", r.Evidence)
		}
		if len(r.Resources) != 1 || len(r.Resources[0].Checks) < 10 {
			t.Fatalf("resources %+v", r.Resources)
		}
	})
	t.Run("sarif", func(t *testing.T) {
		stdout, _, code := runCLI(t, "check", "-s", checkSystem, "-c", checkK8s, "-F", "sarif")
		var log struct {
			Version string
			Runs    []struct {
				Results []struct{ RuleID string }
			}
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &log) != nil || log.Version != "2.1.0" || len(log.Runs[0].Results) == 0 {
			t.Errorf("exit %d, sarif %.300s", code, stdout)
		}
	})
	t.Run("junit", func(t *testing.T) {
		stdout, _, code := runCLI(t, "check", "-s", checkSystem, "-c", checkK8s, "-F", "junit")
		var suites struct {
			Failures int `xml:"failures,attr"`
		}
		if code != 0 || xml.Unmarshal([]byte(stdout), &suites) != nil || suites.Failures == 0 {
			t.Errorf("exit %d, junit %.300s", code, stdout)
		}
	})
}

func TestPolicyCommands(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
	}{
		{"list", []string{"policy", "list", "-F", "csv"}, 0, []string{"aws-s3-block-public-acls", "azure-storage-https-only", "gcp-sql-backups", "k8s-no-privileged-containers"}},
		{"list by provider", []string{"policy", "list", "--provider", "gcp", "-F", "csv"}, 0, []string{"gcp-kms-key-rotation"}},
		{"test the built-in pack", []string{"policy", "test"}, 0, []string{"0 failed"}},
		{"test a file with a broken policy", []string{"policy", "test", "cmd/demarc/testdata/check/bad-policy.yaml"}, 2, []string{"0 examples"}},
		{"schema", []string{"policy", "schema"}, 0, []string{`"$id": "urn:demarc:schema:policies"`}},
		{"validate a policy file", []string{"validate", "check/policies/aws-s3.yaml", "cmd/demarc/testdata/check/bad-policy.yaml"}, 2, []string{"aws-s3.yaml: ok — 11 policies", "bad-policy.yaml:21"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstderr: %s\nstdout: %.500s", code, c.code, stderr, stdout)
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%.2000s", w, stdout)
				}
			}
			if c.name == "list by provider" && strings.Contains(stdout, "aws-") {
				t.Error("the gcp listing holds aws policies")
			}
		})
	}
}

// The progress bar draws on a terminal (or when forced) and stays silent
// otherwise.
func TestProgress(t *testing.T) {
	var quiet, forced strings.Builder
	for _, p := range []*progress{newProgress(&quiet, "auto"), newProgress(&forced, "always")} {
		p.read(10)
		p.checked(4)
		p.finish()
	}
	if quiet.Len() != 0 {
		t.Errorf("drew on a non-terminal: %q", quiet.String())
	}
	if got := forced.String(); !strings.Contains(got, "1 files, 4/10 resources checked") || !strings.HasSuffix(got, "\n") {
		t.Errorf("progress %q", got)
	}
}
