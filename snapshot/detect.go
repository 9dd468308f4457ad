package snapshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// goTemplate finds the actions of a Go template ({{ .Values.x }},
// {{- if … }}, {{ include … }}), which CloudFormation's dynamic references
// ({{resolve:ssm:name}}) do not look like.
var goTemplate = regexp.MustCompile(`\{\{-?\s*(\.|\$|if\s|else|end\s*-?\}\}|range\s|with\s|include\s|template\s|define\s|toYaml|tpl\s|printf\s|default\s|quote)`)

// planKeys are top-level keys only a Terraform plan has.
var planKeys = []string{"configuration", "variables", "planned_values", "resource_changes", "resource_drift", "prior_state", "output_changes", "deferred_changes", "applyable", "complete", "errored"}

// detect recognises the format from the content; the name only tells
// Terraform's own file kinds apart.
func (in *input) detect() (string, error) {
	base := strings.ToLower(filepath.Base(in.file))
	switch {
	case strings.HasSuffix(base, ".tf.json"):
		return "", unsupported(in.file, "Terraform configuration in JSON syntax; read the module's plan (terraform show -json) instead")
	case strings.HasSuffix(base, ".tfvars") || strings.HasSuffix(base, ".tfvars.json"):
		return "", unsupported(in.file, "Terraform variable values; they are read with the .tf files of their directory")
	case strings.HasSuffix(base, ".hcl"):
		return "", unsupported(in.file, "HCL that is not Terraform resource source (.tf)")
	}
	switch firstByte(in.data) {
	case 0:
		return "", unsupported(in.file, "the file is empty")
	case '{':
		return in.detectJSONObject()
	case '[':
		return in.detectJSONList()
	}
	return in.detectYAML()
}

func (in *input) detectJSONObject() (string, error) {
	keys, _ := topKeys(in.data)
	has := func(k ...string) bool {
		for _, x := range k {
			if slices.Contains(keys, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("format_version") && has("provider_schemas"):
		return "", unsupported(in.file, "Terraform provider schemas (terraform providers schema -json), not a configuration")
	case has("format_version") && has("function_signatures"):
		return "", unsupported(in.file, "Terraform function signatures (terraform metadata functions -json), not a configuration")
	case has("format_version") && has(planKeys...):
		return FormatTerraformPlan, nil
	case has("format_version") && (has("values") || onlyKeys(keys, "format_version", "terraform_version", "checks")):
		return FormatTerraformState, nil
	case has("version") && has("resources") && has("lineage", "serial", "terraform_version"):
		return FormatTerraformState, nil
	case has("$schema") && has("contentVersion"):
		return "", unsupported(in.file, "an Azure Resource Manager template; export the deployed resources with Azure Resource Graph instead")
	case has("Resources", "AWSTemplateFormatVersion"):
		return FormatCloudFormation, nil
	case has("apiVersion") && has("kind"):
		return FormatKubernetes, nil
	case has("configurationItems", "baseConfigurationItems") || has("configSnapshotId"):
		return FormatAWSConfig, nil
	case has("data") && has("count", "totalRecords", "total_records", "skip_token", "$skipToken", "resultTruncated"):
		return FormatAzureResourceGraph, nil
	case has("asset_type", "assetType") && has("name"):
		return FormatGCPAsset, nil
	case len(keys) > 0 && onlyKeys(keys, "//", "resource", "data", "provider", "terraform", "module", "variable", "locals", "output", "moved", "import", "check"):
		return "", unsupported(in.file, "Terraform configuration in JSON syntax; read the module's plan (terraform show -json) instead")
	}
	if in.ndjsonAssets() {
		return FormatGCPAsset, nil
	}
	return "", unsupported(in.file, "a JSON object with keys %s; %s", keyList(keys), expected)
}

// ndjsonAssets reports whether the first line is a Cloud Asset Inventory
// asset, as in an export of one asset per line.
func (in *input) ndjsonAssets() bool {
	sc := bufio.NewScanner(bytes.NewReader(in.data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		keys, _ := topKeys(line)
		return slices.Contains(keys, "name") && (slices.Contains(keys, "asset_type") || slices.Contains(keys, "assetType"))
	}
	return false
}

func (in *input) detectJSONList() (string, error) {
	var first map[string]json.RawMessage
	s := newJSONScan(in.data)
	s.array(func(i, _ int) bool {
		start := s.pos
		if !s.skip() {
			return false
		}
		_ = json.Unmarshal(in.data[start:s.pos], &first)
		return false
	})
	has := func(k string) bool { _, ok := first[k]; return ok }
	switch {
	case first == nil:
		if bytes.Equal(bytes.TrimSpace(in.data), []byte("[]")) {
			return "", unsupported(in.file, "an empty JSON list; %s", expected)
		}
		return "", unsupported(in.file, "a JSON list whose first element is not an object; %s", expected)
	case has("id") && has("type") && strings.HasPrefix(strings.ToLower(rawString(first["id"])), "/subscriptions/"):
		return FormatAzureResourceGraph, nil
	case has("name") && (has("assetType") || has("asset_type")):
		return FormatGCPAsset, nil
	}
	keys := make([]string, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return "", unsupported(in.file, "a JSON list of objects with keys %s; %s", keyList(keys), expected)
}

func rawString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s) // a non-string leaves s empty, which is the answer
	return s
}

func (in *input) detectYAML() (string, error) {
	if goTemplate.Match(in.data) {
		return "", unsupported(in.file, "a Helm chart or Go template, not YAML yet; render it (helm template) and read the output")
	}
	docs, err := in.yaml()
	if len(docs) == 0 {
		if err != nil && !configName(in.file) {
			return "", unsupported(in.file, "neither JSON nor YAML (%s)", strings.TrimPrefix(problemsOf(err)[0].Message, "invalid YAML: "))
		}
		if err != nil {
			return "", err
		}
		return "", unsupported(in.file, "YAML without any document (empty, or only comments)")
	}
	root := docs[0].root
	keys := topKeysOf(root)
	switch {
	case root.Kind != yaml.MappingNode:
		return "", unsupported(in.file, "a YAML %s; %s", kindName(root), expected)
	case slices.Contains(keys, "apiVersion") && slices.Contains(keys, "kind"):
		return FormatKubernetes, nil
	case slices.Contains(keys, "Resources") || slices.Contains(keys, "AWSTemplateFormatVersion"):
		if err != nil {
			return "", err
		}
		return FormatCloudFormation, nil
	}
	if err != nil {
		return "", err
	}
	return "", unsupported(in.file, "a YAML mapping with keys %s; %s", keyList(keys), expected)
}

// configName reports whether a file's name says it holds configuration,
// so that a syntax error in it is an error rather than a sign that it is
// some other kind of file.
func configName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".yaml", ".yml", ".json", ".template", ".tfstate", ".ndjson", ".jsonl", ".cfn", ".k8s":
		return true
	}
	return ext == ""
}

// onlyKeys reports whether every key is one of allowed.
func onlyKeys(keys []string, allowed ...string) bool {
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return false
		}
	}
	return true
}

// keyList names at most eight keys for a message.
func keyList(keys []string) string {
	if len(keys) == 0 {
		return "(none)"
	}
	if len(keys) > 8 {
		return strings.Join(keys[:8], ", ") + " …"
	}
	return strings.Join(keys, ", ")
}
