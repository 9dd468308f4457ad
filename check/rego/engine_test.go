package rego

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/snapshot"
)

// runEngine evaluates the policies under policyPaths over the inputs and
// returns each result as "policy resource status: reason", sorted.
func runEngine(t *testing.T, o Options, policyPaths []string, inputs ...string) ([]string, *Engine) {
	t.Helper()
	set, problems := Load(policyPaths, LoadOptions{})
	if len(problems) > 0 {
		t.Fatalf("load: %v", problems)
	}
	var snaps []*demarc.Snapshot
	for _, in := range inputs {
		s, err := snapshot.Read(in)
		if err != nil {
			t.Fatalf("read %s: %v", in, err)
		}
		snaps = append(snaps, s)
	}
	e := NewEngine(set, o)
	var out []string
	err := check.CheckSnapshots(context.Background(), e, snaps, func(b check.Batch) {
		for _, r := range b.Results {
			out = append(out, resultLine(r))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out, e
}

func resultLine(r check.Result) string {
	s := fmt.Sprintf("%s %s %s", r.Policy.ID, r.Resource.ID, r.Status)
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// Conftest's semantics, with results attached to resources: deny and
// violation findings fail, warnings fail at a low severity, exceptions
// waive, and what a rule finds nothing wrong with passes.
func TestEngineResults(t *testing.T) {
	regula := realdata.Path(t, "configs/fugue-regula/rego/tests/rules")
	cases := []struct {
		name     string
		policies []string
		input    string
		want     []string
	}{
		{
			name:     "a multi-document manifest: each document's results go to its resource",
			policies: []string{"testdata/policies/kubernetes.rego", "testdata/policies/lib.rego"},
			input:    "testdata/inputs/pods.yaml",
			want: []string{
				"kubernetes.pods.deny_host_ipc Deployment/batch pass",
				"kubernetes.pods.deny_host_ipc Pod/clean pass",
				"kubernetes.pods.deny_host_ipc Pod/web fail: Pod web shares the host IPC namespace",
				"kubernetes.pods.violation_run_as_root Deployment/batch not-applicable: waived by data.kubernetes.pods.exception",
				"kubernetes.pods.violation_run_as_root Pod/clean pass",
				"kubernetes.pods.violation_run_as_root Pod/web fail: container app of web runs as root",
				"kubernetes.pods.warn_latest Deployment/batch pass",
				"kubernetes.pods.warn_latest Pod/clean pass",
				"kubernetes.pods.warn_latest Pod/web fail: container app uses the latest tag",
			},
		},
		{
			name:     "a real manifest",
			policies: []string{"testdata/policies/kubernetes.rego", "testdata/policies/lib.rego"},
			input:    filepath.Join(regula, "k8s/host_ipc_namespace/inputs/invalid_example.yaml"),
			want: []string{
				"kubernetes.pods.deny_host_ipc Pod/ubuntu fail: Pod ubuntu shares the host IPC namespace",
				"kubernetes.pods.violation_run_as_root Pod/ubuntu fail: container example of ubuntu runs as root",
				"kubernetes.pods.warn_latest Pod/ubuntu pass",
			},
		},
		{
			name:     "a real plan: findings go to the resource their message names, typed rules pass the others",
			policies: []string{"testdata/policies/terraform_s3.rego"},
			input:    filepath.Join(regula, "tf/aws/s3/inputs/bucket_sse_infra.json"),
			want: []string{
				"terraform.s3.deny_public aws_s3_bucket.aes_encrypted pass",
				"terraform.s3.deny_public aws_s3_bucket.kms_encrypted pass",
				"terraform.s3.deny_public aws_s3_bucket.unencrypted pass",
				"terraform.s3.deny_unencrypted aws_s3_bucket.aes_encrypted pass",
				"terraform.s3.deny_unencrypted aws_s3_bucket.kms_encrypted pass",
				"terraform.s3.deny_unencrypted aws_s3_bucket.unencrypted fail: aws_s3_bucket.unencrypted has no server-side encryption",
				"terraform.s3.warn_force_destroy aws_s3_bucket.aes_encrypted fail: aws_s3_bucket.aes_encrypted can be destroyed with its objects",
				"terraform.s3.warn_force_destroy aws_s3_bucket.kms_encrypted fail: aws_s3_bucket.kms_encrypted can be destroyed with its objects",
				"terraform.s3.warn_force_destroy aws_s3_bucket.unencrypted fail: aws_s3_bucket.unencrypted can be destroyed with its objects",
			},
		},
		{
			name:     "a resource field names the resource; an untyped rule with no finding vouches for the file",
			policies: []string{"testdata/policies/terraform_s3.rego"},
			input:    "testdata/inputs/public-plan.json",
			want: []string{
				"terraform.s3.deny_public aws_s3_bucket.logs pass",
				"terraform.s3.deny_public aws_s3_bucket.site fail: bucket example-site is readable by anyone (acl public-read)",
				"terraform.s3.deny_unencrypted aws_s3_bucket.logs fail: aws_s3_bucket.logs has no server-side encryption",
				"terraform.s3.deny_unencrypted aws_s3_bucket.site pass",
				"terraform.s3.warn_force_destroy testdata/inputs/public-plan.json pass",
			},
		},
		{
			name:     "Terraform source as conftest reads it, rules in Rego v0",
			policies: []string{"testdata/policies/hcl_v0.rego"},
			input:    "testdata/inputs/alb",
			want: []string{
				"main.deny testdata/inputs/alb/main.tf fail: ALB `web` is using HTTP rather than HTTPS",
				"main.warn testdata/inputs/alb/main.tf fail: security group `open` allows ingress from anywhere on port 22",
			},
		},
		{
			name:     "real Terraform source: each file of a module is its own input",
			policies: []string{"testdata/policies/hcl_v0.rego"},
			input:    filepath.Join(regula, "tf/aws/ebs/inputs"),
			want: []string{
				"main.deny " + filepath.Join(regula, "tf/aws/ebs/inputs/ebs_volumes_encrypted_and_unencrypted.tf") + " pass",
				"main.deny " + filepath.Join(regula, "tf/aws/ebs/inputs/volume_encrypted_infra.tf") + " pass",
				"main.deny aws_ebs_volume.ebs_volume_encrypted pass",
				"main.deny aws_ebs_volume.ebs_volume_unencrypted pass",
				"main.warn " + filepath.Join(regula, "tf/aws/ebs/inputs/ebs_volumes_encrypted_and_unencrypted.tf") + " pass",
				"main.warn " + filepath.Join(regula, "tf/aws/ebs/inputs/volume_encrypted_infra.tf") + " pass",
				"main.warn aws_ebs_volume.ebs_volume_encrypted pass",
				"main.warn aws_ebs_volume.ebs_volume_unencrypted pass",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, e := runEngine(t, Options{}, c.policies, c.input)
			if !slices.Equal(got, c.want) {
				t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if ps := e.Problems(); len(ps) > 0 {
				t.Errorf("problems: %v", ps)
			}
		})
	}
}

// How findings are attached: a "_loc" line, the document's one resource,
// a resource named by id or (for the rule's types) by name, else the file.
func TestAttach(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "p.rego", `package attach

import rego.v1

# METADATA
# custom:
#   types: [v1/Service]
deny_by_name contains sprintf("service %s is exposed", [input.items[i].metadata.name]) if {
	input.items[i].spec.type == "LoadBalancer"
}

deny_by_line contains {"msg": "the third item", "_loc": {"line": 14}} if {
	count(input.items) == 3
}

deny_unnamed contains "something in this list" if {
	count(input.items) == 3
}

deny_bad contains {"message": "no msg field"} if {
	count(input.items) == 3
}
`)
	in := writeFile(t, dir, "list.json", `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "front", "namespace": "shop"},
   "spec": {"type": "LoadBalancer"}},
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "back", "namespace": "shop"},
   "spec": {"type": "ClusterIP"}},
  {"apiVersion": "v1", "kind": "ConfigMap",
   "metadata": {"name": "settings", "namespace": "shop"},
   "data": {"a": "b"}}
]}
`)
	snap, err := snapshot.Read(in)
	if err != nil || len(snap.Resources) != 3 {
		t.Fatalf("%v %+v", err, snap)
	}
	lines := map[string]int{}
	for _, r := range snap.Resources {
		lines[r.ID] = r.Pos.Line
	}
	got, _ := runEngine(t, Options{}, []string{dir}, in)
	want := []string{
		"attach.deny_bad " + in + " indeterminate: the rule yielded an object without a string \"msg\" field",
		"attach.deny_by_line ConfigMap/shop/settings fail: the third item",
		"attach.deny_by_name Service/shop/back pass",
		"attach.deny_by_name Service/shop/front fail: service front is exposed",
		"attach.deny_unnamed " + in + " fail: something in this list",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results (resource lines %v):\n%s\nwant:\n%s", lines, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestContainsWord(t *testing.T) {
	cases := []struct {
		text, word string
		want       bool
	}{
		{"aws_s3_bucket.b has no encryption", "aws_s3_bucket.b", true},
		{"aws_s3_bucket.b: no encryption", "aws_s3_bucket.b", true},
		{"bucket aws_s3_bucket.b.", "aws_s3_bucket.b", true},
		{"aws_s3_bucket.b[0] is public", "aws_s3_bucket.b", true},
		{"`aws_s3_bucket.b`", "aws_s3_bucket.b", true},
		{"aws_s3_bucket.b2 is public", "aws_s3_bucket.b", false},
		{"module.x.aws_s3_bucket.b is public", "aws_s3_bucket.b", false},
		{"aws_s3_bucket.b.id is empty", "aws_s3_bucket.b", false},
		{"the web-front service", "web", false},
		{"service web, then web-front", "web", true},
		{"", "x", false},
	}
	for _, c := range cases {
		if got := containsWord(c.text, c.word); got != c.want {
			t.Errorf("containsWord(%q, %q) = %v", c.text, c.word, got)
		}
	}
}

func TestMatchType(t *testing.T) {
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"aws_s3_bucket", "aws_s3_bucket", true},
		{"aws_s3_bucket", "aws_s3_bucket_policy", false},
		{"aws_s3_*", "aws_s3_bucket_policy", true},
		{"*/Deployment", "apps/v1/Deployment", true},
		{"*/Deployment", "apps/v1/DaemonSet", false},
		{"apps/*/Deploy*", "apps/v1/Deployment", true},
	}
	for _, c := range cases {
		if got := matchType(c.pattern, c.typ); got != c.want {
			t.Errorf("matchType(%q, %q) = %v", c.pattern, c.typ, got)
		}
	}
}

// A rule that loops is stopped at the deadline, named with its line, and
// its package is not evaluated again; the other packages still run.
func TestDeadline(t *testing.T) {
	start := time.Now()
	got, e := runEngine(t, Options{Deadline: 100 * time.Millisecond, Workers: 1},
		[]string{"testdata/loop", "testdata/policies/kubernetes.rego", "testdata/policies/lib.rego"},
		"testdata/inputs/pods.yaml", "testdata/inputs/public-plan.json")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	var loop, stoppedLater, others int
	for _, line := range got {
		switch {
		case strings.HasPrefix(line, "loop.") && strings.Contains(line, "indeterminate: not evaluated: data.loop.deny_forever did not finish within 100ms on testdata/inputs/pods.yaml"):
			stoppedLater++
		case strings.HasPrefix(line, "loop.") && strings.Contains(line, "indeterminate: data.loop.deny_forever did not finish within 100ms on testdata/inputs/pods.yaml"):
			loop++
		case strings.HasPrefix(line, "kubernetes."):
			others++
		default:
			t.Errorf("unexpected result %s", line)
		}
	}
	if loop == 0 || stoppedLater == 0 || others != 12 {
		t.Errorf("%d stopped, %d not evaluated later, %d others:\n%s", loop, stoppedLater, others, strings.Join(got, "\n"))
	}
	ps := e.Problems()
	if len(ps) != 1 || ps[0].Pos.String() != "testdata/loop/loop.rego:13" || ps[0].Field != "data.loop.deny_forever" ||
		!strings.Contains(ps[0].Message, "(stopped at testdata/loop/loop.rego:1") {
		t.Errorf("problems: %v", ps)
	}
}

// A rule that cannot be decided is indeterminate with OPA's reason.
func TestEvaluationError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "p.rego", `package conflict

import rego.v1

size := 1 if input.a
size := 2 if input.b

deny contains sprintf("size %d", [size]) if true
`)
	in := writeFile(t, dir, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\na: true\nb: true\n")
	got, _ := runEngine(t, Options{}, []string{dir}, in)
	if len(got) != 1 || !strings.Contains(got[0], "ConfigMap/x indeterminate: evaluation error: ") || !strings.Contains(got[0], "p.rego:6") {
		t.Errorf("results %v", got)
	}
}

// A file that changed after it was read is not checked: the evidence
// would name the wrong digest.
func TestChangedInput(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/inputs/pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, dir, "pods.yaml", string(data))
	mod := writeFile(t, dir, "mod/main.tf", "resource \"aws_alb_listener\" \"x\" {\n  protocol = \"HTTP\"\n}\n")
	set, _ := Load([]string{"testdata/policies"}, LoadOptions{})
	var snaps []*demarc.Snapshot
	for _, p := range []string{in, filepath.Dir(mod)} {
		s, err := snapshot.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	writeFile(t, dir, "pods.yaml", string(data)+"# changed\n")
	writeFile(t, dir, "mod/terraform.tfvars", "x = 1\n")
	e := NewEngine(set, Options{})
	n := 0
	if err := check.CheckSnapshots(context.Background(), e, snaps, func(b check.Batch) { n += len(b.Results) }); err != nil {
		t.Fatal(err)
	}
	text := e.Problems().Error()
	if n != 0 || !strings.Contains(text, "pods.yaml: rego: the file changed after it was read") || !strings.Contains(text, "mod: rego: the module's files changed after they were read") {
		t.Errorf("%d results, problems:\n%s", n, text)
	}
}

// A file the snapshot reader accepts but conftest's readers do not is
// reported, and the others are still checked.
func TestUnreadableInput(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad/main.tf", "resource \"aws_instance\" \"a\" {\n  ami = \"x\"\n}\n\nresource \"aws_instance\" {\n  ami = \"y\"\n}\n")
	got, e := runEngine(t, Options{}, []string{"testdata/policies/hcl_v0.rego"}, filepath.Dir(bad), "testdata/inputs/alb")
	if len(got) != 2 {
		t.Errorf("results %v", got)
	}
	if ps := e.Problems(); len(ps) != 1 || ps[0].Pos.File != bad || !strings.Contains(ps[0].Message, "rego input: line 5") {
		t.Errorf("problems %v", ps)
	}
}

func TestCancel(t *testing.T) {
	set, _ := Load([]string{"testdata/loop"}, LoadOptions{})
	snap, err := snapshot.Read("testdata/inputs/pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	e := NewEngine(set, Options{Deadline: time.Minute})
	err = check.CheckSnapshots(ctx, e, []*demarc.Snapshot{snap}, func(check.Batch) {})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("err %v after %s", err, time.Since(start))
	}
}
