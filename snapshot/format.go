package snapshot

import (
	"slices"
	"strings"
)

// The formats a snapshot can come from, as they appear in Snapshot.Format
// and Resource.Format.
const (
	FormatTerraformPlan      = "terraform-plan"       // terraform show -json of a plan
	FormatTerraformState     = "terraform-state"      // terraform show -json of a state, or a .tfstate file
	FormatTerraform          = "terraform"            // Terraform HCL source (.tf)
	FormatCloudFormation     = "cloudformation"       // CloudFormation or SAM template, JSON or YAML
	FormatKubernetes         = "kubernetes"           // Kubernetes manifests, YAML or JSON
	FormatAWSConfig          = "aws-config"           // AWS Config configuration snapshot or history
	FormatGCPAsset           = "gcp-asset"            // Google Cloud Asset Inventory export (NDJSON or JSON)
	FormatAzureResourceGraph = "azure-resource-graph" // Azure Resource Graph query result
)

// FormatUnsupported marks the snapshot Walk hands over for a file whose
// content is none of the formats above; its Problems say what it looked
// like and what was expected. A caller usually reports it as skipped
// rather than failed.
const FormatUnsupported = "unsupported"

// Formats lists the formats ParseBytes accepts by name.
func Formats() []string {
	return []string{
		FormatTerraformPlan, FormatTerraformState, FormatTerraform,
		FormatCloudFormation, FormatKubernetes,
		FormatAWSConfig, FormatGCPAsset, FormatAzureResourceGraph,
	}
}

// formatAliases are other names for the formats, among them the keys of
// policy example files (terraform, cloudformation, kubernetes).
var formatAliases = map[string]string{
	"hcl": FormatTerraform, "tf": FormatTerraform,
	"tfplan": FormatTerraformPlan, "plan": FormatTerraformPlan,
	"tfstate": FormatTerraformState, "state": FormatTerraformState,
	"cfn": FormatCloudFormation, "sam": FormatCloudFormation,
	"k8s": FormatKubernetes, "kube": FormatKubernetes,
	"awsconfig": FormatAWSConfig, "config": FormatAWSConfig,
	"gcp": FormatGCPAsset, "cai": FormatGCPAsset, "google-asset": FormatGCPAsset,
	"azure": FormatAzureResourceGraph, "arg": FormatAzureResourceGraph,
}

// canonicalFormat returns the format a name stands for, or "" when the
// name is none of them.
func canonicalFormat(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if slices.Contains(Formats(), name) {
		return name
	}
	return formatAliases[name]
}

// providerOf maps a Terraform provider's short name (the prefix of its
// resource types, or the last part of its registry address) to the
// platform names of the resource model.
func providerOf(short string) string {
	switch short {
	case "aws", "awscc":
		return "aws"
	case "azurerm", "azuread", "azapi", "azurestack", "azuredevops":
		return "azure"
	case "google", "google-beta", "googleworkspace":
		return "gcp"
	case "kubernetes", "helm", "kubectl":
		return "kubernetes"
	}
	return short
}

// terraformProvider returns the platform of a Terraform resource type,
// preferring the provider address a plan or state records.
func terraformProvider(typ, providerAddr string) string {
	if short := providerShortName(providerAddr); short != "" {
		return providerOf(short)
	}
	typ = strings.TrimPrefix(typ, "data.")
	if i := strings.IndexByte(typ, '_'); i > 0 {
		return providerOf(typ[:i])
	}
	return providerOf(typ)
}

// providerShortName reads the provider's type name from the forms
// Terraform writes: registry.terraform.io/hashicorp/aws,
// provider["registry.terraform.io/hashicorp/aws"].west and the older
// provider.aws.
func providerShortName(addr string) string {
	if i := strings.Index(addr, `["`); i >= 0 {
		addr = addr[i+2:]
		if j := strings.Index(addr, `"]`); j >= 0 {
			addr = addr[:j]
		}
	} else if i := strings.LastIndex(addr, "provider."); i >= 0 {
		addr, _, _ = strings.Cut(addr[i+len("provider."):], ".")
	}
	addr = addr[strings.LastIndexByte(addr, '/')+1:]
	addr, _, _ = strings.Cut(addr, ".")
	return addr
}
