package check

import (
	"context"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

// FuzzParseFile feeds arbitrary bytes to the policy file reader (YAML,
// shape, positions): it must report problems, never panic, and return only
// complete policies.
func FuzzParseFile(f *testing.F) {
	_, contents, err := BuiltinFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range contents {
		f.Add(firstPolicy(c))
	}
	f.Add([]byte("policies:\n  - &a {id: a}\n  - *a\n"))
	f.Add([]byte("policies: [{id: a, title: t, severity: low, areas: [data.backup], message: m, remediation: r, rules: [{types: [t], expr: x}], examples: [{expect: pass}]}]"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		policies, problems := parseFile("fuzz.yaml", data, LoadOptions{}, map[string]demarc.Position{})
		for _, p := range policies {
			if p.policy.ID == "" || len(p.policy.Rules) == 0 || p.node == nil {
				t.Fatalf("returned an incomplete policy %+v", p.policy)
			}
		}
		for _, p := range problems {
			if p.Message == "" {
				t.Fatalf("a problem without a message: %+v", p)
			}
		}
	})
}

// FuzzExpression compiles arbitrary expressions and evaluates those that
// compile against resources with unknown, sensitive, related and oddly
// typed values: no panic, and every result is one of the four statuses.
func FuzzExpression(f *testing.F) {
	set, err := Builtin()
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range set.Policies()[:40] {
		for _, r := range p.Rules {
			f.Add(r.Expr)
		}
	}
	for _, seed := range []string{
		`related("b").exists(x, related(x, "c").size() > 0)`,
		`values(resource, "a[0].b").all(v, coversPort(v, null, 22))`,
		`parseJSON(get(resource, "doc", "{")).x == 1`,
		`containers(resource).exists(c, isSet(c, "securityContext"))`,
		`valueOr(resource.u, 1) == 1 && isTrue(resource.s)`,
		`get(resource, "m[\"k.x\"]", 0) > 2`,
	} {
		f.Add(seed)
	}
	snap := &demarc.Snapshot{Resources: []demarc.Resource{
		{ID: "r", Type: "t", Format: "terraform", Attributes: map[string]any{
			"a": []any{map[string]any{"b": []any{"22", int64(80), "20-30", nil}}}, "s": "TRUE", "doc": `{"x": 1}`,
			"m": map[string]any{"k.x": 3.5}, "kind": "Pod", "spec": map[string]any{"containers": []any{map[string]any{"name": "c"}, "junk"}},
		}, Unknown: []string{"u", "a[0].b[3]"}, Sensitive: []string{"s"}, Related: map[string][]string{"b": {"b1", "missing"}}},
		{ID: "b1", Type: "b", Attributes: map[string]any{"n": int64(1)}, Related: map[string][]string{"c": {"r"}}},
	}}
	f.Fuzz(func(t *testing.T, expr string) {
		src := "policies:\n  - {id: f, title: t, severity: low, areas: [data.backup], message: m, remediation: r, rules: [{types: [t], expr: " + quoteYAML(expr) + "}]}\n"
		set, problems := Parse("fuzz.yaml", []byte(src), LoadOptions{})
		if len(problems) > 0 {
			return
		}
		err := CheckSnapshots(context.Background(), NewEngine(set, Options{Workers: 1}), []*demarc.Snapshot{snap}, func(b Batch) {
			for _, r := range b.Results {
				if !r.Status.Valid() {
					t.Fatalf("status %q", r.Status)
				}
				r.Values()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// quoteYAML writes s as a double-quoted YAML scalar.
func quoteYAML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// firstPolicy cuts a policy file down to its first policy, so that seeds
// stay small enough for the fuzzer to mutate quickly.
func firstPolicy(file []byte) []byte {
	text := string(file)
	start := strings.Index(text, "\n  - id:")
	if start < 0 {
		return file
	}
	end := strings.Index(text[start+1:], "\n  - id:")
	if end < 0 {
		return file
	}
	return []byte(text[:start+1+end+1])
}
