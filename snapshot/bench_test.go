package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/demarc-io/demarc"
)

// syntheticPlan writes a plan of n resource changes shaped like a real
// AWS plan: buckets with split-out settings that refer to them.
func syntheticPlan(n int) []byte {
	var changes, config []any
	for i := range n {
		typ := []string{"aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration"}[i%4]
		name := fmt.Sprintf("b%d", i/4)
		after := map[string]any{
			"bucket": fmt.Sprintf("acme-%d", i/4), "force_destroy": false,
			"tags": map[string]any{"env": "prod", "team": "platform", "cost": fmt.Sprint(i)},
			"rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "aws:kms"}}, "bucket_key_enabled": true}},
		}
		changes = append(changes, map[string]any{
			"address": typ + "." + name, "mode": "managed", "type": typ, "name": name,
			"provider_name": "registry.terraform.io/hashicorp/aws",
			"change": map[string]any{
				"actions": []any{"create"}, "before": nil, "after": after,
				"after_unknown":   map[string]any{"id": true, "arn": true, "rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"kms_master_key_id": true}}}}},
				"after_sensitive": map[string]any{}, "before_sensitive": false,
			},
		})
		exprs := map[string]any{"force_destroy": map[string]any{"constant_value": false}}
		if typ != "aws_s3_bucket" {
			exprs["bucket"] = map[string]any{"references": []any{"aws_s3_bucket." + name + ".id", "aws_s3_bucket." + name}}
		}
		config = append(config, map[string]any{"address": typ + "." + name, "mode": "managed", "type": typ, "name": name, "expressions": exprs})
	}
	plan := map[string]any{
		"format_version": "1.2", "terraform_version": "1.7.5",
		"planned_values":   map[string]any{"root_module": map[string]any{}},
		"resource_changes": changes,
		"configuration":    map[string]any{"root_module": map[string]any{"resources": config}},
	}
	data, err := json.Marshal(plan)
	if err != nil {
		panic(err)
	}
	return data
}

// syntheticTemplate writes a CloudFormation template of n resources that
// use parameters, conditions and intrinsics.
func syntheticTemplate(n int) []byte {
	var b strings.Builder
	b.WriteString("AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Env:\n    Type: String\n    Default: prod\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n")
	for i := range n {
		fmt.Fprintf(&b, `  Key%[1]d:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !If [IsProd, true, false]
  Bucket%[1]d:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-${Env}-%[1]d"
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !GetAtt Key%[1]d.Arn
      VersioningConfiguration:
        Status: Enabled
      Tags:
        - Key: name
          Value: !Join ["-", [bucket, !Ref Env, "%[1]d"]]
`, i)
	}
	return []byte(b.String())
}

func syntheticManifests(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%[1]d
  namespace: shop
  labels: {app: web-%[1]d}
spec:
  replicas: 3
  template:
    spec:
      serviceAccountName: web
      containers:
        - name: app
          image: registry.example.com/web:%[1]d
          securityContext: {privileged: false, runAsNonRoot: true, readOnlyRootFilesystem: true}
          resources: {limits: {cpu: 500m, memory: 256Mi}}
`, i)
	}
	return []byte(b.String())
}

func syntheticHCL(n int) []byte {
	var b strings.Builder
	b.WriteString("variable \"env\" {\n  default = \"prod\"\n}\nlocals {\n  tags = { Env = var.env }\n}\n")
	for i := range n {
		fmt.Fprintf(&b, `resource "aws_s3_bucket" "b%[1]d" {
  bucket = "acme-${var.env}-%[1]d"
  tags   = local.tags
}
resource "aws_s3_bucket_versioning" "b%[1]d" {
  bucket = aws_s3_bucket.b%[1]d.id
  versioning_configuration {
    status = "Enabled"
  }
}
`, i)
	}
	return []byte(b.String())
}

// benchmarkParse reports bytes and resources (records) per second.
func benchmarkParse(b *testing.B, name, format string, data []byte) {
	s, err := ParseBytes(name, format, data)
	if err != nil {
		b.Fatal(err)
	}
	records := len(s.Resources)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseBytes(name, format, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkTerraformPlan(b *testing.B) {
	benchmarkParse(b, "plan.json", "", syntheticPlan(4000))
}

func BenchmarkCloudFormationYAML(b *testing.B) {
	benchmarkParse(b, "template.yaml", "", syntheticTemplate(1000))
}

func BenchmarkCloudFormationJSON(b *testing.B) {
	s, err := ParseBytes("t.yaml", "", syntheticTemplate(1000))
	if err != nil {
		b.Fatal(err)
	}
	_ = s
	// the same template in JSON, long-form intrinsics
	var res = map[string]any{}
	for i := range 1000 {
		res[fmt.Sprintf("Key%d", i)] = map[string]any{"Type": "AWS::KMS::Key", "Properties": map[string]any{"EnableKeyRotation": map[string]any{"Fn::If": []any{"IsProd", true, false}}}}
		res[fmt.Sprintf("Bucket%d", i)] = map[string]any{"Type": "AWS::S3::Bucket", "Properties": map[string]any{
			"BucketName":              map[string]any{"Fn::Sub": fmt.Sprintf("acme-${Env}-%d", i)},
			"BucketEncryption":        map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": map[string]any{"Fn::GetAtt": []any{fmt.Sprintf("Key%d", i), "Arn"}}}}}},
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		}}
	}
	data, err := json.MarshalIndent(map[string]any{
		"Parameters": map[string]any{"Env": map[string]any{"Type": "String", "Default": "prod"}},
		"Conditions": map[string]any{"IsProd": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "Env"}, "prod"}}},
		"Resources":  res,
	}, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkParse(b, "template.json", "", data)
}

func BenchmarkKubernetes(b *testing.B) {
	benchmarkParse(b, "manifests.yaml", "", syntheticManifests(1000))
}

func BenchmarkTerraformHCL(b *testing.B) {
	benchmarkParse(b, "main.tf", "", syntheticHCL(1000))
}

// BenchmarkWalk reads a folder of mixed files on all cores, as a check of
// a repository does.
func BenchmarkWalk(b *testing.B) {
	dir := b.TempDir()
	inputs := map[string][]byte{
		"plan.json":      syntheticPlan(400),
		"template.yaml":  syntheticTemplate(100),
		"manifests.yaml": syntheticManifests(200),
	}
	for i := range 16 {
		for name, data := range inputs {
			sub := filepath.Join(dir, fmt.Sprintf("team%02d", i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sub, name), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("team%02d", i), "main.tf"), syntheticHCL(50), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var records atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		err := Walk(context.Background(), []string{dir}, func(s *demarc.Snapshot) error {
			if len(s.Problems) > 0 {
				return s.Problems.Err()
			}
			records.Add(int64(len(s.Resources)))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records.Load())/b.Elapsed().Seconds(), "records/s")
}
