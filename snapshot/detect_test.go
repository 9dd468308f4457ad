package snapshot

import (
	"errors"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

func TestParseBytesRecognisesFormats(t *testing.T) {
	tests := []struct {
		name, data string
		want       string
	}{
		{"plan.json", `{"format_version":"1.2","resource_changes":[]}`, FormatTerraformPlan},
		{"x", `{"format_version":"1.0","terraform_version":"1.6.0","values":{"root_module":{}}}`, FormatTerraformState},
		{"x", `{"format_version":"1.0"}`, FormatTerraformState},
		{"terraform.tfstate", `{"version":4,"terraform_version":"1.6.0","serial":1,"lineage":"x","resources":[]}`, FormatTerraformState},
		{"main.tf", `resource "aws_s3_bucket" "b" {}`, FormatTerraform},
		{"t.json", `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}`, FormatCloudFormation},
		{"t.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n", FormatCloudFormation},
		{"t.template", "AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n", FormatCloudFormation},
		{"pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n", FormatKubernetes},
		{"list.json", `{"apiVersion":"v1","kind":"List","items":[]}`, FormatKubernetes},
		{"multi.yaml", "# comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n", FormatKubernetes},
		{"config.json", `{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[]}`, FormatAWSConfig},
		{"hist.json", `{"configurationItems":[]}`, FormatAWSConfig},
		{"assets", `{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket"}` + "\n" + `{"name":"//storage.googleapis.com/c","asset_type":"storage.googleapis.com/Bucket"}`, FormatGCPAsset},
		{"assets.json", `[{"name":"//storage.googleapis.com/b","assetType":"storage.googleapis.com/Bucket"}]`, FormatGCPAsset},
		{"arg.json", `{"count":0,"data":[],"skip_token":null}`, FormatAzureResourceGraph},
		{"arg.json", `[{"id":"/subscriptions/0/resourceGroups/r/providers/Microsoft.Web/sites/a","type":"microsoft.web/sites"}]`, FormatAzureResourceGraph},
		{"bom.yaml", "\xef\xbb\xbfapiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n", FormatKubernetes},
	}
	for _, tt := range tests {
		s, err := ParseBytes(tt.name, "", []byte(tt.data))
		if err != nil {
			t.Errorf("%s %q: %v", tt.name, tt.data, err)
			continue
		}
		if s.Format != tt.want {
			t.Errorf("%s %q: format %q, want %q", tt.name, tt.data, s.Format, tt.want)
		}
		if len(s.SHA256) != 64 {
			t.Errorf("%s: digest %q is not a SHA-256", tt.name, s.SHA256)
		}
	}
}

func TestParseBytesReportsUnsupportedContent(t *testing.T) {
	tests := []struct {
		name, data, reason string
	}{
		{"schemas.json", `{"format_version":"1.0","provider_schemas":{}}`, "provider schemas"},
		{"arm.json", `{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0","resources":[]}`, "Azure Resource Manager template"},
		{"main.tf.json", `{"resource":{}}`, "JSON syntax"},
		{"terraform.tfvars", `region = "eu-west-1"`, "variable values"},
		{"values.yaml", "replicaCount: 1\nimage: nginx\n", "keys replicaCount, image"},
		{"other.json", `{"foo":"bar","baz":1}`, "keys foo, baz"},
		{"list.json", `[1,2]`, "not an object"},
		{"empty.json", `[]`, "empty JSON list"},
		{"empty.yaml", "", "empty"},
		{"comment.yaml", "---\n# nothing\n", "without any document"},
		{"scalar.yaml", "just text", "YAML scalar"},
		{"compose.yaml", "services:\n  web:\n    image: nginx\n", "keys services"},
		{"deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n", "render it (helm template)"},
	}
	for _, tt := range tests {
		_, err := ParseBytes(tt.name, "", []byte(tt.data))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrUnsupported", tt.name, err)
			continue
		}
		if demarc.ErrorCode(err) != demarc.EInvalid {
			t.Errorf("%s: code %q, want %q", tt.name, demarc.ErrorCode(err), demarc.EInvalid)
		}
		if !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: error %q should name the file and say %q", tt.name, err, tt.reason)
		}
	}
}

func TestParseBytesReportsMalformedInput(t *testing.T) {
	tests := []struct {
		name, format, data, want string
	}{
		{"bad.json", "", "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [\n}", "bad.json:4: invalid JSON"},
		{"bad.yaml", "", "Resources:\n  B:\n    Type: [unclosed\n", "bad.yaml:2: invalid YAML"},
		{"plan.json", "", `{"format_version":"3.1","resource_changes":[]}`, `plan.json:1: format_version: unsupported plan format version "3.1"`},
		{"plan.json", "", `{"resource_changes":[]}`, "not a supported configuration format"},
		{"plan.json", "terraform-plan", `{"resource_changes":[]}`, "plan.json:1: format_version: missing"},
		{"state.json", "", `{"format_version":"9.0","values":{}}`, `unsupported state format version "9.0"`},
		{"old.tfstate", "", `{"version":3,"terraform_version":"0.11.14","serial":1,"lineage":"x","modules":[],"resources":[]}`, "unsupported state file version 3; expected 4"},
		{"two.json", "", `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}` + "\n{}", "two.json:2: invalid JSON: more data after the top-level value"},
		{"cfn.yaml", "", "AWSTemplateFormatVersion: 2010-09-09\nResources: []\n", "cfn.yaml:1: Resources: missing or not a mapping"},
		{"main.tf", "", "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n", "main.tf:2"},
		{"x", "no-such-format", "{}", `unknown configuration format "no-such-format"`},
	}
	for _, tt := range tests {
		_, err := ParseBytes(tt.name, tt.format, []byte(tt.data))
		if err == nil {
			t.Errorf("%s: no error, want %q", tt.name, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.want)
		}
		if demarc.ErrorCode(err) != demarc.EInvalid {
			t.Errorf("%s: code %q, want %q", tt.name, demarc.ErrorCode(err), demarc.EInvalid)
		}
	}
}

func TestParseBytesAcceptsFormatAliases(t *testing.T) {
	pod := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")
	for _, alias := range []string{"kubernetes", "k8s", "KUBERNETES"} {
		s, err := ParseBytes("pod", alias, pod)
		if err != nil || s.Format != FormatKubernetes {
			t.Errorf("format %q: %v, %v", alias, s, err)
		}
	}
	tf := []byte(`resource "aws_s3_bucket" "b" { bucket = "x" }`)
	for _, alias := range []string{"terraform", "hcl", "tf"} {
		s, err := ParseBytes("snippet", alias, tf)
		if err != nil || s.Format != FormatTerraform || len(s.Resources) != 1 {
			t.Errorf("format %q: %+v, %v", alias, s, err)
		}
	}
	cfn := []byte("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
	for _, alias := range []string{"cloudformation", "cfn", "sam"} {
		s, err := ParseBytes("snippet", alias, cfn)
		if err != nil || s.Format != FormatCloudFormation || len(s.Resources) != 1 {
			t.Errorf("format %q: %+v, %v", alias, s, err)
		}
	}
}
