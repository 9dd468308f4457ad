package snapshot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

func readFixture(t *testing.T, name string) *demarc.Snapshot {
	t.Helper()
	s, err := Read(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func resource(t *testing.T, s *demarc.Snapshot, id string) *demarc.Resource {
	t.Helper()
	r := NewIndex(s).Get(id)
	if r == nil {
		var ids []string
		for _, r := range s.Resources {
			ids = append(ids, r.ID)
		}
		t.Fatalf("%s: no resource %q; have %v", s.File, id, ids)
	}
	return r
}

func ids(rs []*demarc.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestPlanResources(t *testing.T) {
	s := readFixture(t, "plan_s3.json")
	if s.Format != FormatTerraformPlan || len(s.Problems) != 0 {
		t.Fatalf("format %q, problems %v", s.Format, s.Problems)
	}
	var got []string
	for _, r := range s.Resources {
		got = append(got, r.ID)
	}
	want := []string{
		"aws_s3_bucket.logs", "aws_s3_bucket_public_access_block.logs", "aws_s3_bucket_versioning.logs",
		"aws_db_instance.orders", "aws_security_group.web", "aws_security_group_rule.ssh", "aws_security_group_rule.https",
		"data.aws_iam_policy_document.assume",
		"module.archive.aws_s3_bucket.this[0]", "module.archive.aws_s3_bucket_versioning.this[0]",
		"module.archive.aws_s3_bucket.this[1]", "module.archive.aws_s3_bucket_versioning.this[1]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resources (the deleted aws_instance.legacy left out):\n got %v\nwant %v", got, want)
	}

	bucket := resource(t, s, "aws_s3_bucket.logs")
	if bucket.Type != "aws_s3_bucket" || bucket.Provider != "aws" || bucket.Name != "logs" || bucket.Pos.Line != 13 {
		t.Errorf("bucket = %+v", bucket)
	}
	if !IsUnknown(bucket, "versioning[0].enabled") || !IsUnknown(bucket, "arn") || IsUnknown(bucket, "bucket") {
		t.Errorf("bucket unknown paths = %v", bucket.Unknown)
	}
	if v, _ := Lookup(bucket.Attributes, "tags.env"); v != "prod" {
		t.Errorf("tags.env = %v", v)
	}

	versioning := resource(t, s, "aws_s3_bucket_versioning.logs")
	if v, _ := Lookup(versioning.Attributes, "versioning_configuration[0].status"); v != "Enabled" {
		t.Errorf("versioning status = %v", v)
	}
	if !IsUnknown(versioning, "versioning_configuration[0].mfa_delete") || IsUnknown(versioning, "versioning_configuration[0].status") {
		t.Errorf("versioning unknown = %v", versioning.Unknown)
	}

	db := resource(t, s, "aws_db_instance.orders")
	if !slices.Equal(db.Sensitive, []string{"password"}) {
		t.Errorf("db sensitive = %v, want [password]", db.Sensitive)
	}
	if db.Attributes["allocated_storage"] != int64(20) || db.Attributes["iops"] != nil {
		t.Errorf("numbers and nulls: %v, %v", db.Attributes["allocated_storage"], db.Attributes["iops"])
	}
	if d := resource(t, s, "data.aws_iam_policy_document.assume"); d.Type != "data.aws_iam_policy_document" {
		t.Errorf("data source type = %q", d.Type)
	}
}

func TestPlanLinks(t *testing.T) {
	s := readFixture(t, "plan_s3.json")
	ix := NewIndex(s)
	tests := []struct {
		id, typ string
		want    []string
	}{
		// by the configuration's references: the bucket's id is unknown
		{"aws_s3_bucket.logs", "aws_s3_bucket_public_access_block", []string{"aws_s3_bucket_public_access_block.logs"}},
		{"aws_s3_bucket.logs", "aws_s3_bucket_versioning", []string{"aws_s3_bucket_versioning.logs"}},
		{"aws_s3_bucket_versioning.logs", "aws_s3_bucket", []string{"aws_s3_bucket.logs"}},
		// ssh by reference, https by the group id in its value
		{"aws_security_group.web", "aws_security_group_rule", []string{"aws_security_group_rule.https", "aws_security_group_rule.ssh"}},
		// count.index pairs instance n with instance n, inside the module
		{"module.archive.aws_s3_bucket.this[1]", "aws_s3_bucket_versioning", []string{"module.archive.aws_s3_bucket_versioning.this[1]"}},
		{"module.archive.aws_s3_bucket.this[0]", "aws_s3_bucket_versioning", []string{"module.archive.aws_s3_bucket_versioning.this[0]"}},
		{"aws_db_instance.orders", "aws_s3_bucket", []string{}},
	}
	for _, tt := range tests {
		got := ids(ix.RelatedOf(ix.Get(tt.id), tt.typ))
		if !slices.Equal(got, tt.want) {
			t.Errorf("RelatedOf(%s, %s) = %v, want %v", tt.id, tt.typ, got, tt.want)
		}
	}
}

func TestStateFiles(t *testing.T) {
	for _, name := range []string{"state_raw.tfstate", "state_show.json"} {
		s := readFixture(t, name)
		if s.Format != FormatTerraformState {
			t.Errorf("%s: format %q", name, s.Format)
		}
		db := resource(t, s, "aws_db_instance.orders")
		if !IsSensitive(db, "password") {
			t.Errorf("%s: password not sensitive: %v", name, db.Sensitive)
		}
		if got := Redacted(db)["password"]; got != RedactedValue {
			t.Errorf("%s: redacted password = %v", name, got)
		}
	}

	raw := readFixture(t, "state_raw.tfstate")
	db := resource(t, raw, "aws_db_instance.orders")
	if !slices.Equal(db.Sensitive, []string{"password", "tags.owner"}) {
		t.Errorf("sensitive_attributes read as %v", db.Sensitive)
	}
	if key := resource(t, raw, "aws_iam_access_key.ci"); !slices.Equal(key.Sensitive, []string{""}) {
		t.Errorf("unreadable sensitive_attributes must hide the whole resource, got %v", key.Sensitive)
	}
	if NewIndex(raw).Get("aws_instance.old") != nil {
		t.Error("a deposed instance is not a resource")
	}
	ix := NewIndex(raw)
	rule := resource(t, raw, `module.net.aws_security_group_rule.https["public"]`)
	if got := ids(ix.RelatedOf(rule, "aws_security_group")); !slices.Equal(got, []string{"module.net.aws_security_group.web[1]"}) {
		t.Errorf("the rule names web[1] by id; related = %v", got)
	}
	sse := resource(t, raw, "aws_s3_bucket_server_side_encryption_configuration.logs")
	if got := ids(ix.RelatedOf(sse, "aws_s3_bucket")); !slices.Equal(got, []string{"aws_s3_bucket.logs"}) {
		t.Errorf("encryption → bucket = %v", got)
	}
	if got := ids(ix.RelatedOf(sse, "aws_kms_key")); !slices.Equal(got, []string{"aws_kms_key.logs"}) {
		t.Errorf("encryption → key = %v", got)
	}
	if sg := resource(t, raw, "module.net.aws_security_group.web[0]"); sg.Provider != "aws" {
		t.Errorf("provider of an aliased provider = %q", sg.Provider)
	}

	show := readFixture(t, "state_show.json")
	eks := resource(t, show, "module.cluster.aws_eks_cluster.this")
	if eks.Pos.Line != 51 || !IsSensitive(eks, "certificate_authority[0].data") {
		t.Errorf("child module resource: line %d, sensitive %v", eks.Pos.Line, eks.Sensitive)
	}
	if got := ids(NewIndex(show).RelatedOf(eks, "aws_kms_key")); !slices.Equal(got, []string{"aws_kms_key.db"}) {
		t.Errorf("depends_on link = %v", got)
	}
}

// A state holds secrets in clear text: no error about a damaged state may
// quote them, wherever the damage is.
func TestStateErrorsNeverShowSecrets(t *testing.T) {
	secrets := []string{"correct-horse-battery-staple", "wJalrXUtnFEMI", "BExampleSmtpPassword"}
	for _, name := range []string{"state_raw.tfstate", "state_show.json", "plan_s3.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for cut := 1; cut < len(data); cut += 11 {
			variants := [][]byte{
				data[:cut],
				append(append([]byte{}, data[:cut]...), append([]byte("}}]]x"), data[cut:]...)...),
			}
			for _, v := range variants {
				_, err := ParseBytes(name, "", v)
				if err == nil {
					continue
				}
				for _, secret := range secrets {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("%s cut at %d: error shows a secret: %v", name, cut, err)
					}
				}
			}
		}
	}
}

// expectedPlanResources counts, independently of the reader, the resource
// changes of a plan that leave a resource behind.
func expectedPlanResources(t *testing.T, data []byte) int {
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Deposed string `json:"deposed"`
			Change  struct {
				Actions      []string `json:"actions"`
				After        any      `json:"after"`
				AfterUnknown any      `json:"after_unknown"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	var prior struct {
		PriorState struct {
			Values struct {
				RootModule priorModule `json:"root_module"`
			} `json:"values"`
		} `json:"prior_state"`
	}
	if err := json.Unmarshal(data, &plan); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &prior); err != nil {
		t.Fatal(err)
	}
	addresses := map[string]bool{}
	for _, rc := range plan.ResourceChanges {
		addresses[rc.Address] = true
	}
	n := prior.PriorState.Values.RootModule.newDataSources(addresses)
	for _, rc := range plan.ResourceChanges {
		a := rc.Change.Actions
		if rc.Deposed != "" || slices.Equal(a, []string{"delete"}) || slices.Equal(a, []string{"forget"}) {
			continue
		}
		if rc.Change.After == nil && rc.Change.AfterUnknown == nil {
			continue
		}
		n++
	}
	return n
}

// priorModule is a module of a plan's prior state.
type priorModule struct {
	Resources []struct {
		Address string `json:"address"`
		Mode    string `json:"mode"`
	} `json:"resources"`
	ChildModules []priorModule `json:"child_modules"`
}

// newDataSources counts the data sources of the prior state that are not
// among the changes: those read while planning.
func (m priorModule) newDataSources(changed map[string]bool) int {
	n := 0
	for _, r := range m.Resources {
		if r.Mode == "data" && !changed[r.Address] {
			n++
		}
	}
	for _, c := range m.ChildModules {
		n += c.newDataSources(changed)
	}
	return n
}

func TestRealTerraformPlans(t *testing.T) {
	dir := realdata.Path(t, "configs/hashicorp-terraform-json/testdata")
	plans, err := filepath.Glob(filepath.Join(dir, "*", "plan*.json"))
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, p := range plans {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Read(p)
		if filepath.Base(filepath.Dir(p)) == "invalid" {
			if err == nil || !strings.Contains(err.Error(), "invalid JSON") {
				t.Errorf("%s: want an invalid JSON error, got %v", p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		read++
		if want := expectedPlanResources(t, data); want > 0 && len(s.Resources) != want {
			t.Errorf("%s: %d resources, want %d", p, len(s.Resources), want)
		}
		for _, r := range s.Resources {
			if r.ID == "" || r.Type == "" || r.Attributes == nil || r.Format != FormatTerraformPlan {
				t.Errorf("%s: incomplete resource %+v", p, r)
			}
		}
	}
	if read < 20 {
		t.Errorf("read %d real plans, expected at least 20", read)
	}

	basic, err := Read(filepath.Join(dir, "basic", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	bar := resource(t, basic, "null_resource.bar")
	if !IsUnknown(bar, "triggers") || !IsUnknown(bar, "id") {
		t.Errorf("after_unknown not honoured: %v", bar.Unknown)
	}
	if got := ids(NewIndex(basic).RelatedOf(bar, "null_resource")); !slices.Equal(got, []string{"null_resource.foo"}) {
		t.Errorf("null_resource.bar refers to null_resource.foo; related = %v", got)
	}
	if m := resource(t, basic, "module.foo.null_resource.aliased"); m.Provider != "null" {
		t.Errorf("provider of aliased module resource = %q", m.Provider)
	}
	deep, err := Read(filepath.Join(dir, "deep_module", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	nested := 0
	for _, r := range deep.Resources {
		if strings.Count(r.ID, "module.") >= 2 {
			nested++
		}
	}
	if nested == 0 {
		t.Errorf("deep_module: no resource of a nested module among %d", len(deep.Resources))
	}
}

func TestRealTerraformStates(t *testing.T) {
	dir := realdata.Path(t, "configs/hashicorp-terraform-json/testdata")
	tests := []struct {
		file string
		ids  []string
	}{
		{"no_changes/terraform.tfstate", []string{"data.null_data_source.baz", "module.foo.null_resource.foo", "null_resource.bar", "null_resource.baz[0]", "null_resource.baz[1]", "null_resource.baz[2]", "null_resource.foo"}},
		// Terraform 0.12 wrote addresses without instance key and module
		{"no_changes/state.json", []string{"data.null_data_source.baz", "module.foo.null_resource.foo", "null_resource.bar", "null_resource.baz[0]", "null_resource.baz[1]", "null_resource.baz[2]", "null_resource.foo"}},
		{"identity/state.json", []string{"corner_bigint.number", "corner_user.user"}},
	}
	for _, tt := range tests {
		s, err := Read(filepath.Join(dir, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		got := []string{}
		for _, r := range s.Resources {
			got = append(got, r.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.ids) {
			t.Errorf("%s: resources %v, want %v", tt.file, got, tt.ids)
		}
		if s.Format != FormatTerraformState {
			t.Errorf("%s: format %q", tt.file, s.Format)
		}
	}
	if _, err := Read(filepath.Join(dir, "invalid", "state.json")); err == nil || !strings.Contains(err.Error(), "state.json:12: invalid JSON") {
		t.Errorf("invalid/state.json: %v", err)
	}
}
