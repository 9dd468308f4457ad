package check

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// webshop resolves the example serverless webshop against NIST SP 800-53.
func webshop(t *testing.T) (*resolve.Resolution, *demarc.Framework) {
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
	return res, lib.Framework("nist-800-53-r5")
}

// webshopSnapshot holds a bucket that is neither encrypted nor versioned,
// an HTTPS listener and a plan value known only after apply.
func webshopSnapshot() *demarc.Snapshot {
	return &demarc.Snapshot{File: "plan.json", Format: "terraform-plan", SHA256: strings.Repeat("ab", 32), Resources: []demarc.Resource{
		{ID: "aws_s3_bucket.images", Type: "aws_s3_bucket", Format: "terraform-plan", Attributes: map[string]any{"bucket": "images"},
			Pos: demarc.Position{File: "main.tf", Line: 3}},
		{ID: "aws_lb_listener.web", Type: "aws_lb_listener", Format: "terraform-plan",
			Attributes: map[string]any{"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, Pos: demarc.Position{File: "main.tf", Line: 20}},
		{ID: "aws_ebs_volume.data", Type: "aws_ebs_volume", Format: "terraform-plan", Attributes: map[string]any{}, Unknown: []string{"encrypted"},
			Pos: demarc.Position{File: "main.tf", Line: 30}},
	}}
}

func buildWebshopReport(t *testing.T) *Report {
	t.Helper()
	res, fw := webshop(t)
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var c Collector
	if err := CheckSnapshots(context.Background(), NewEngine(set, Options{}), []*demarc.Snapshot{webshopSnapshot()}, c.Add); err != nil {
		t.Fatal(err)
	}
	return BuildReport(res, fw, set.Policies(), &c, ReportOptions{
		Tool:          Tool{Name: "demarc", Version: "test"},
		System:        &Input{File: "examples/serverless-webshop.yaml", SHA256: strings.Repeat("cd", 32)},
		PolicySources: set.Sources,
		Now:           time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	})
}

func TestReportControls(t *testing.T) {
	r := buildWebshopReport(t)
	byID := map[demarc.ControlID]ControlStatus{}
	for _, c := range r.Controls {
		byID[c.ID] = c
	}
	cases := []struct {
		control demarc.ControlID
		state   ControlState
		detail  func(ControlStatus) string
	}{
		{"sc-28", ControlFailing, func(c ControlStatus) string {
			for _, f := range c.Failing {
				if f.Resource == "aws_s3_bucket.images" && f.Pos.String() == "main.tf:3" && f.Setting != "" {
					return ""
				}
			}
			return "does not name the unencrypted bucket at main.tf:3"
		}},
		{"sc-8", ControlVerified, func(c ControlStatus) string {
			if len(c.ManualAreas) != 0 {
				return "has manual areas"
			}
			return ""
		}},
		{"at-2", ControlManual, func(c ControlStatus) string {
			if len(c.ManualAreas) != 1 || c.ManualAreas[0] != "gov.awareness-training" {
				return "should need manual evidence of gov.awareness-training"
			}
			return ""
		}},
		{"pe-3", ControlNotApplicable, func(c ControlStatus) string {
			if c.Owner != demarc.OwnerProvider {
				return "should be the provider's"
			}
			return ""
		}},
	}
	for _, c := range cases {
		got, ok := byID[c.control]
		if !ok {
			t.Errorf("%s missing", c.control)
			continue
		}
		if got.State != c.state {
			t.Errorf("%s: %s, want %s (%+v)", c.control, got.State, c.state, got)
		} else if msg := c.detail(got); msg != "" {
			t.Errorf("%s: %s", c.control, msg)
		}
	}
	for _, c := range r.Controls {
		if msg := controlInvariant(c); msg != "" {
			t.Errorf("%s: %s", c.ID, msg)
		}
	}
}

// controlInvariant checks that a control's state follows from its counts.
func controlInvariant(c ControlStatus) string {
	switch {
	case len(c.CustomerAreas) == 0 && c.State != ControlNotApplicable && len(c.ManualAreas) == 0:
		return "no customer part but not not-applicable"
	case c.Results[Fail] > 0 && c.State != ControlFailing:
		return "failing results but not failing"
	case c.Results[Fail] == 0 && c.State == ControlFailing:
		return "failing without failing results"
	case len(c.Failing) != c.Results[Fail]:
		return "failing references do not match the count"
	case len(c.CheckedAreas)+len(c.ManualAreas) < len(c.CustomerAreas):
		return "customer areas neither checked nor manual"
	}
	return ""
}

func TestReportEvidenceAndResources(t *testing.T) {
	r := buildWebshopReport(t)
	ev := r.Evidence
	if ev.GeneratedAt.IsZero() || ev.Tool.Version != "test" || ev.System == nil || len(ev.Inputs) != 1 || ev.Inputs[0].SHA256 != strings.Repeat("ab", 32) {
		t.Errorf("evidence %+v", ev)
	}
	if len(ev.Policies) == 0 || len(ev.Policies[0].SHA256) != 64 {
		t.Errorf("policy sources %+v", ev.Policies)
	}
	if r.Summary.Resources != 3 || r.Summary.Checked != 3 {
		t.Errorf("summary %+v", r.Summary)
	}
	if len(r.Findings) == 0 || r.Findings[0].Status != Fail || r.Findings[len(r.Findings)-1].Status != Indeterminate {
		t.Errorf("findings not failing first, indeterminate last")
	}
	var volume *ResourceReport
	for i := range r.Resources {
		if r.Resources[i].ID == "aws_ebs_volume.data" {
			volume = &r.Resources[i]
		}
	}
	if volume == nil {
		t.Fatal("the volume is missing from the resources")
	}
	for _, c := range volume.Checks {
		if c.Policy == "aws-ebs-volume-encrypted" && (c.Status != Indeterminate || !strings.Contains(c.Reason, "known only after apply")) {
			t.Errorf("volume encryption: %s (%s)", c.Status, c.Reason)
		}
	}
	if n := r.FailuresAtOrAbove(SeverityHigh); n == 0 || n > r.FailuresAtOrAbove(SeverityLow) {
		t.Errorf("failures at or above high: %d", n)
	}
}

func TestWriteFormats(t *testing.T) {
	r := buildWebshopReport(t)
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, r, f, render.Options{Width: 120}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			switch f {
			case render.JSON:
				var v map[string]any
				if err := json.Unmarshal(b.Bytes(), &v); err != nil || v["controls"] == nil || v["evidence"] == nil {
					t.Errorf("json: %v", err)
				}
			case SARIF:
				checkSARIF(t, b.Bytes(), r)
			case JUnit:
				checkJUnit(t, b.Bytes(), r)
			case render.Markdown:
				for _, want := range []string{"# Configuration checks: serverless-webshop", "## Findings", "## Controls", "## Checks per resource", "| sc-28 | failing |"} {
					if !strings.Contains(out, want) {
						t.Errorf("markdown lacks %q", want)
					}
				}
			case render.Table:
				for _, want := range []string{"serverless-webshop — nist-800-53-r5", "Failing and indeterminate checks", "aws-s3-encryption  aws_s3_bucket.images  (main.tf:3)", "UNDECIDED", "Customer areas that need manual evidence"} {
					if !strings.Contains(out, want) {
						t.Errorf("table lacks %q", want)
					}
				}
			}
		})
	}
}

func checkSARIF(t *testing.T, data []byte, r *Report) {
	t.Helper()
	checkSARIFSchemaOnly(t, data)
	checkSARIFResults(t, data, r)
}

// checkSARIFSchemaOnly validates a SARIF log against the subset schema.
func checkSARIFSchemaOnly(t *testing.T, data []byte) {
	t.Helper()
	schemaDoc, err := jsonschema.UnmarshalJSON(mustOpen(t, filepath.Join("testdata", "sarif-2.1.0-subset.schema.json")))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("urn:test:sarif", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("urn:test:sarif")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
}

// checkSARIFResults checks that every failing check is a result whose
// rule index points at its rule.
func checkSARIFResults(t *testing.T, data []byte, r *Report) {
	t.Helper()
	var log SARIFLog
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	fails := 0
	for _, f := range r.Findings {
		if f.Status == Fail {
			fails++
		}
	}
	if len(run.Results) != fails || fails == 0 {
		t.Errorf("%d SARIF results, %d failing checks", len(run.Results), fails)
	}
	for _, res := range run.Results {
		if rule := run.Tool.Driver.Rules[res.RuleIndex]; rule.ID != res.RuleID {
			t.Errorf("result %s points at rule %s", res.RuleID, rule.ID)
		}
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func checkJUnit(t *testing.T, data []byte, r *Report) {
	t.Helper()
	var suites junitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("junit: %v", err)
	}
	if suites.Failures != r.Summary.Results[Fail] || suites.Skipped != r.Summary.Results[Indeterminate]+r.Summary.Results[NotApplicable] {
		t.Errorf("junit counts %d failures, %d skipped; report %v", suites.Failures, suites.Skipped, r.Summary.Results)
	}
	total := 0
	for _, s := range suites.Suites {
		total += len(s.Cases)
	}
	if total != suites.Tests {
		t.Errorf("%d test cases, tests=%d", total, suites.Tests)
	}
}
