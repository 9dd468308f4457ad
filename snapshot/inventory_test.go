package snapshot

import (
	"slices"
	"strings"
	"testing"
)

func TestAWSConfigSnapshot(t *testing.T) {
	s := readFixture(t, "aws_config_snapshot.json")
	if s.Format != FormatAWSConfig {
		t.Fatalf("format %q", s.Format)
	}
	want := []string{
		"arn:aws:s3:::example-logs-bucket",
		"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0badc0ffee0ddf00d",
		"arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0",
	}
	var got []string
	for _, r := range s.Resources {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("resources %v, want %v (the deleted bucket left out)", got, want)
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0].String(), "aws_config_snapshot.json:119: configurationItems[4]: missing resourceType or resourceId") {
		t.Errorf("problems %v", s.Problems)
	}
	bucket := resource(t, s, want[0])
	checks := map[string]any{
		"supplementaryConfiguration.PublicAccessBlockConfiguration.blockPublicAcls":                                             true,
		"supplementaryConfiguration.BucketVersioningConfiguration.status":                                                       "Off",
		"supplementaryConfiguration.ServerSideEncryptionConfiguration.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm": "AES256",
		"tags.env":  "prod",
		"awsRegion": "eu-west-1",
		"name":      "example-logs-bucket",
	}
	for path, v := range checks {
		if got, ok := Lookup(bucket.Attributes, path); !ok || got != v {
			t.Errorf("bucket %s = %v, want %v", path, got, v)
		}
	}
	if bucket.Type != "AWS::S3::Bucket" || bucket.Provider != "aws" || bucket.Name != "example-logs-bucket" || bucket.Pos.Line != 5 {
		t.Errorf("bucket = %s %s %s line %d", bucket.Type, bucket.Provider, bucket.Name, bucket.Pos.Line)
	}
	sg := resource(t, s, want[1])
	if got, _ := Lookup(sg.Attributes, "ipPermissions[0].fromPort"); got != int64(22) {
		t.Errorf("fromPort = %#v", got)
	}
	if got, _ := Lookup(sg.Attributes, "tags[0].key"); got != "Name" {
		t.Errorf("the configuration's own tags win over the item's: %v", sg.Attributes["tags"])
	}
	if got := ids(NewIndex(s).RelatedOf(sg, "AWS::EC2::Instance")); !slices.Equal(got, want[2:]) {
		t.Errorf("relationships: %v", got)
	}

	hist := readFixture(t, "aws_config_history.json")
	db := resource(t, hist, "arn:aws:rds:eu-west-1:123456789012:db:orders")
	if db.Attributes["storageEncrypted"] != false || db.Attributes["backupRetentionPeriod"] != int64(0) {
		t.Errorf("configuration given as a JSON string: %v", db.Attributes)
	}
	if got, _ := Lookup(db.Attributes, "supplementaryConfiguration.Tags"); got == nil {
		t.Errorf("supplementary configuration as a JSON string: %v", db.Attributes["supplementaryConfiguration"])
	}
}

func TestGCPAssetExport(t *testing.T) {
	s := readFixture(t, "gcp_assets.ndjson")
	if s.Format != FormatGCPAsset {
		t.Fatalf("format %q", s.Format)
	}
	if len(s.Resources) != 5 {
		t.Errorf("%d resources, want 5 (the bucket's IAM policy merged into the bucket)", len(s.Resources))
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0].String(), "gcp_assets.ndjson:7: invalid JSON") {
		t.Errorf("problems %v", s.Problems)
	}
	ix := NewIndex(s)
	bucket := resource(t, s, "//storage.googleapis.com/example-public-assets")
	if bucket.Type != "storage.googleapis.com/Bucket" || bucket.Name != "example-public-assets" || bucket.Provider != "gcp" || bucket.Pos.Line != 2 {
		t.Errorf("bucket = %+v", bucket)
	}
	if got, _ := Lookup(bucket.Attributes, "iamPolicy.bindings[0].members[0]"); got != "allUsers" {
		t.Errorf("iam policy = %v", got)
	}
	if got, _ := Lookup(bucket.Attributes, "iamConfiguration.uniformBucketLevelAccess.enabled"); got != false {
		t.Errorf("resource data = %v", got)
	}
	fw := resource(t, s, "//compute.googleapis.com/projects/example-project/global/firewalls/allow-ssh")
	if got := ids(ix.RelatedOf(fw, "compute.googleapis.com/Network")); len(got) != 1 {
		t.Errorf("firewall → network by self link: %v", got)
	}
	if got := ids(ix.RelatedOf(fw, "cloudresourcemanager.googleapis.com/Project")); len(got) != 1 {
		t.Errorf("firewall → parent project: %v", got)
	}

	list, err := ParseBytes("assets.json", "", []byte(`[{"name":"//storage.googleapis.com/b","assetType":"storage.googleapis.com/Bucket","resource":{"data":{"name":"b"}},"iamPolicy":{"bindings":[]}}]`))
	if err != nil || len(list.Resources) != 1 || list.Resources[0].Attributes["name"] != "b" {
		t.Errorf("camelCase JSON list: %+v, %v", list, err)
	}
}

func TestAzureResourceGraph(t *testing.T) {
	s := readFixture(t, "azure_resource_graph.json")
	if s.Format != FormatAzureResourceGraph || len(s.Resources) != 4 {
		t.Fatalf("format %q, %d resources", s.Format, len(s.Resources))
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0].String(), "data[4]: missing id or type") {
		t.Errorf("problems %v", s.Problems)
	}
	ix := NewIndex(s)
	st := s.Resources[0]
	if st.Type != "microsoft.storage/storageaccounts" || st.Name != "stwebprod" || st.Provider != "azure" || st.Pos.Line != 4 {
		t.Errorf("storage account = %+v", st)
	}
	if got, _ := Lookup(st.Attributes, "properties.minimumTlsVersion"); got != "TLS1_0" {
		t.Errorf("minimumTlsVersion = %v", got)
	}
	nic := ix.OfType("microsoft.network/networkinterfaces")[0]
	if got := ids(ix.RelatedOf(nic, "microsoft.network/networksecuritygroups")); len(got) != 1 {
		t.Errorf("NIC → NSG, ids compared without case: %v", got)
	}
	if got := ids(ix.RelatedOf(nic, "microsoft.compute/virtualmachines")); len(got) != 1 {
		t.Errorf("NIC ← VM: %v", got)
	}

	table := `{"totalRecords":1,"count":1,"data":{"columns":[{"name":"id","type":"string"},{"name":"type","type":"string"},{"name":"name","type":"string"}],"rows":[["/subscriptions/0/resourceGroups/r/providers/Microsoft.Web/sites/app","Microsoft.Web/sites","app"]]},"facets":[],"resultTruncated":"false"}`
	ts, err := ParseBytes("table.json", "", []byte(table))
	if err != nil || len(ts.Resources) != 1 || ts.Resources[0].Type != "microsoft.web/sites" || ts.Resources[0].Name != "app" {
		t.Errorf("table form: %+v, %v", ts, err)
	}
}
