package snapshot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// TestAgainstRegulaResourceViews compares the Terraform source read here
// with what Fugue's regula loader read from the same folders (its
// tf_test/<case>.json files). Where regula gives a reference or a
// variable name as text instead of a value, demarc must have the value
// unknown; every other value must be equal.
func TestAgainstRegulaResourceViews(t *testing.T) {
	dir := realdata.Path(t, "configs/fugue-regula/pkg/loader/tf_test")
	expected, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, exp := range expected {
		caseDir := strings.TrimSuffix(exp, ".json")
		if fi, err := os.Stat(caseDir); err != nil || !fi.IsDir() {
			continue
		}
		data, err := os.ReadFile(exp)
		if err != nil {
			t.Fatal(err)
		}
		var view struct {
			Content struct {
				Resources map[string]map[string]any `json:"resources"`
			} `json:"content"`
		}
		if err := json.Unmarshal(data, &view); err != nil {
			t.Fatalf("%s: %v", exp, err)
		}
		s, err := Read(caseDir)
		if err != nil {
			t.Logf("%s: %v", filepath.Base(caseDir), err)
			continue
		}
		ix := NewIndex(s)
		for id, want := range view.Content.Resources {
			r := ix.Get(strings.TrimSuffix(id, "[0]"))
			if r == nil {
				t.Logf("%s: regula has %s, demarc does not", filepath.Base(caseDir), id)
				continue
			}
			for k, v := range want {
				if strings.HasPrefix(k, "_") || k == "id" {
					continue
				}
				compared++
				got, ok := r.Attributes[k]
				if ok && reflect.DeepEqual(normalize(jsonRoundTrip(got)), normalize(v)) {
					continue
				}
				switch {
				case k == "count" || k == "provider":
					if !ok {
						continue // meta-arguments are not settings here
					}
				case textInsteadOfValue[filepath.Base(caseDir)+" "+id+"."+k]:
					if IsUnknown(r, k) {
						continue
					}
				}
				t.Errorf("%s: %s.%s = %v (present %v, unknown %v); regula %v", filepath.Base(caseDir), id, k, got, ok, r.Unknown, v)
			}
		}
	}
	if compared < 70 {
		t.Errorf("compared %d values, expected at least 70", compared)
	}
}

// textInsteadOfValue are the values regula writes as the text of a
// reference (aws_vpc.main), of a variable without a value
// (var.environment), of a file's content, or of its guess (null, or
// count.index as 0); each of them is unknown until apply.
var textInsteadOfValue = map[string]bool{
	"count-ref aws_s3_bucket_public_access_block.not_working_1_block[0].bucket":                  true,
	"data-resources google_storage_bucket_iam_policy.all_authenticated_users_policy.policy_data": true,
	"data-resources google_storage_bucket_iam_policy.all_users_policy.policy_data":               true,
	"file aws_s3_bucket.trail_bucket.tags":                                                       true,
	"nested-vars-rm5823 aws_network_acl.main.vpc_id":                                             true,
	"null-count aws_s3_bucket.foo[0].bucket":                                                     true,
	"tags aws_autoscaling_group.example.launch_template":                                         true,
	"template-in-jsonencode aws_s3_bucket_policy.test1.bucket":                                   true,
	"template-in-jsonencode aws_s3_bucket_policy.test1.policy":                                   true,
	"ternary-mismatch aws_s3_bucket.bar.bucket":                                                  true,
	"ternary-mismatch aws_s3_bucket.foo.bucket":                                                  true,
	"vars aws_s3_bucket.main.tags":                                                               true,
}

func jsonRoundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
