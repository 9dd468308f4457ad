package snapshot

import (
	"reflect"
	"testing"

	"github.com/demarc-io/demarc"
)

func TestJoinAndSplitPath(t *testing.T) {
	tests := []struct {
		steps []any
		want  string
	}{
		{[]any{"versioning", 0, "enabled"}, "versioning[0].enabled"},
		{[]any{"metadata", "labels", "app.kubernetes.io/name"}, `metadata.labels["app.kubernetes.io/name"]`},
		{[]any{"Fn::Sub"}, "Fn::Sub"},
		{[]any{"tags", ""}, `tags[""]`},
		{[]any{"a", "0"}, `a["0"]`},
		{[]any{0, "x"}, "[0].x"},
		{[]any{"rule", 0, "apply_server_side_encryption_by_default", 0, "sse_algorithm"}, "rule[0].apply_server_side_encryption_by_default[0].sse_algorithm"},
		{[]any{`quote"d`, 12}, `["quote\"d"][12]`},
	}
	for _, tt := range tests {
		p := ""
		for _, s := range tt.steps {
			p = JoinPath(p, s)
		}
		if p != tt.want {
			t.Errorf("JoinPath(%v) = %q, want %q", tt.steps, p, tt.want)
		}
		back, ok := SplitPath(p)
		if !ok || !reflect.DeepEqual(back, tt.steps) {
			t.Errorf("SplitPath(%q) = %v, %v; want %v", p, back, ok, tt.steps)
		}
	}
}

func TestSplitPathRejectsMalformed(t *testing.T) {
	for _, p := range []string{".a", "a..b", "a[", "a[x]", `a["x]`, "a[-1]", "a]b", "a.", `a["x"`} {
		if steps, ok := SplitPath(p); ok {
			t.Errorf("SplitPath(%q) = %v, want failure", p, steps)
		}
	}
}

func TestLookup(t *testing.T) {
	attrs := map[string]any{
		"versioning": []any{map[string]any{"enabled": true}},
		"labels":     map[string]any{"app.kubernetes.io/name": "web"},
		"nothing":    nil,
	}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"versioning[0].enabled", true, true},
		{`labels["app.kubernetes.io/name"]`, "web", true},
		{"nothing", nil, true},
		{"versioning[1].enabled", nil, false},
		{"versioning.enabled", nil, false},
		{"labels[0]", nil, false},
		{"missing", nil, false},
	}
	for _, tt := range tests {
		got, ok := Lookup(attrs, tt.path)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := Lookup(attrs, ""); !ok || !reflect.DeepEqual(got, attrs) {
		t.Errorf("Lookup(\"\") = %v, %v; want the attributes", got, ok)
	}
}

func TestIsUnknownAndIsSensitive(t *testing.T) {
	r := &demarc.Resource{
		Unknown:   []string{"rule[0].kms_master_key_id", "bucket"},
		Sensitive: []string{"password"},
	}
	tests := []struct {
		path             string
		unknown, secrets bool
	}{
		{"bucket", true, false},
		{"bucket_prefix", false, false},
		{"rule", true, false}, // partly unknown
		{"rule[0]", true, false},
		{"rule[0].kms_master_key_id", true, false},
		{"rule[0].sse_algorithm", false, false},
		{"rule[1]", false, false},
		{"password", false, true},
		{"password_wo", false, false},
		{"", true, true},
	}
	for _, tt := range tests {
		if got := IsUnknown(r, tt.path); got != tt.unknown {
			t.Errorf("IsUnknown(%q) = %v, want %v", tt.path, got, tt.unknown)
		}
		if got := IsSensitive(r, tt.path); got != tt.secrets {
			t.Errorf("IsSensitive(%q) = %v, want %v", tt.path, got, tt.secrets)
		}
	}
	whole := &demarc.Resource{Unknown: []string{""}}
	if !IsUnknown(whole, "anything.at[3].all") {
		t.Error("an unknown root should make every path unknown")
	}
}

func TestRedacted(t *testing.T) {
	r := &demarc.Resource{
		Attributes: map[string]any{
			"username": "admin",
			"password": "hunter2",
			"nested":   []any{map[string]any{"token": "abc", "name": "x"}},
		},
		Sensitive: []string{"password", "nested[0].token"},
	}
	got := Redacted(r)
	want := map[string]any{
		"username": "admin",
		"password": RedactedValue,
		"nested":   []any{map[string]any{"token": RedactedValue, "name": "x"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Redacted = %v, want %v", got, want)
	}
	if r.Attributes["password"] != "hunter2" {
		t.Error("Redacted changed the resource")
	}
	all := &demarc.Resource{Attributes: map[string]any{"secret": "x"}, Sensitive: []string{""}}
	if got := Redacted(all); len(got) != 0 {
		t.Errorf("a wholly sensitive resource redacts to %v, want nothing", got)
	}
}
