package check

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// policyFile wraps rules into a policy file with one policy, id p.
func policyFile(id string, rules string) string {
	return fmt.Sprintf(`policies:
  - id: %s
    title: test policy
    severity: high
    areas: [data.encryption-at-rest]
    message: m
    remediation: r
    rules:
%s`, id, rules)
}

func mustParse(t *testing.T, src string, o LoadOptions) *PolicySet {
	t.Helper()
	set, ps := Parse("test.yaml", []byte(src), o)
	if len(ps) > 0 {
		t.Fatalf("parse: %v", ps)
	}
	return set
}

// evaluate runs set over snap and returns the results by resource id.
func evaluate(t *testing.T, set *PolicySet, o Options, snap *demarc.Snapshot) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	err := CheckSnapshots(context.Background(), NewEngine(set, o), []*demarc.Snapshot{snap}, func(b Batch) {
		for _, r := range b.Results {
			out[r.Resource.ID] = r
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvaluation(t *testing.T) {
	cases := []struct {
		name   string
		rules  string
		res    demarc.Resource
		others []demarc.Resource
		want   Status
		reason string // a part of the reason, for indeterminate results
	}{
		{
			name:  "true passes",
			rules: "      - types: [t]\n        expr: isTrue(get(resource, \"a.b\"))\n",
			res:   demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"a": []any{map[string]any{"b": true}}}},
			want:  Pass,
		},
		{
			name:  "false fails",
			rules: "      - types: [t]\n        expr: resource.n > 3\n",
			res:   demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"n": int64(2)}},
			want:  Fail,
		},
		{
			name:  "floats and ints compare as numbers",
			rules: "      - types: [t]\n        expr: resource.port == 22 && resource.ratio < 1\n",
			res:   demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"port": float64(22), "ratio": 0.5}},
			want:  Pass,
		},
		{
			name:   "a value known after apply makes the result indeterminate",
			rules:  "      - types: [t]\n        expr: resource.encrypted == true\n",
			res:    demarc.Resource{ID: "r", Type: "t", Format: "terraform-plan", Attributes: map[string]any{}, Unknown: []string{"encrypted"}},
			want:   Indeterminate,
			reason: "depends on encrypted, known only after apply",
		},
		{
			name:  "an unknown value that cannot matter does not",
			rules: "      - types: [t]\n        expr: resource.encrypted == true && resource.key != \"\"\n",
			res:   demarc.Resource{ID: "r", Type: "t", Format: "terraform-plan", Attributes: map[string]any{"encrypted": false}, Unknown: []string{"key"}},
			want:  Fail,
		},
		{
			name:  "a reference written in source counts as set",
			rules: "      - types: [t]\n        expr: isSet(resource, \"rule[0].key\")\n",
			res:   demarc.Resource{ID: "r", Type: "t", Format: "terraform", Attributes: map[string]any{"rule": []any{map[string]any{}}}, Unknown: []string{"rule[0].key"}},
			want:  Pass,
		},
		{
			name:   "but a value chosen at apply time does not",
			rules:  "      - types: [t]\n        expr: isSet(resource, \"rule[0].key\")\n",
			res:    demarc.Resource{ID: "r", Type: "t", Format: "terraform-plan", Attributes: map[string]any{"rule": []any{map[string]any{}}}, Unknown: []string{"rule[0].key"}},
			want:   Indeterminate,
			reason: "rule[0].key",
		},
		{
			name:   "a wholly unknown resource",
			rules:  "      - types: [t]\n        expr: \"true\"\n",
			res:    demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{}, Unknown: []string{""}},
			want:   Indeterminate,
			reason: "whole resource",
		},
		{
			name:  "when excludes",
			rules: "      - types: [t]\n        when: resource.kind == \"a\"\n        expr: \"false\"\n",
			res:   demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"kind": "b"}},
			want:  NotApplicable,
		},
		{
			name:   "a missing attribute read without get is an evaluation error, never a failure",
			rules:  "      - types: [t]\n        expr: resource.missing == 1\n",
			res:    demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{}},
			want:   Indeterminate,
			reason: "no such key",
		},
		{
			name:  "related resources",
			rules: "      - types: [bucket]\n        expr: related(\"block\").exists(b, isTrue(b.on))\n",
			res:   demarc.Resource{ID: "r", Type: "bucket", Attributes: map[string]any{}, Related: map[string][]string{"block": {"b1", "b2"}}},
			others: []demarc.Resource{
				{ID: "b1", Type: "block", Attributes: map[string]any{"on": false}},
				{ID: "b2", Type: "block", Attributes: map[string]any{"on": "true"}},
			},
			want: Pass,
		},
		{
			name:  "related resources of related resources",
			rules: "      - types: [a]\n        expr: related(\"b\").exists(x, related(x, \"c\").exists(y, y.ok == true))\n",
			res:   demarc.Resource{ID: "r", Type: "a", Attributes: map[string]any{}, Related: map[string][]string{"b": {"b1"}}},
			others: []demarc.Resource{
				{ID: "b1", Type: "b", Attributes: map[string]any{}, Related: map[string][]string{"c": {"c1"}}},
				{ID: "c1", Type: "c", Attributes: map[string]any{"ok": true}},
			},
			want: Pass,
		},
		{
			name:   "unknown values in related resources",
			rules:  "      - types: [bucket]\n        expr: related(\"block\").exists(b, b.on == true)\n",
			res:    demarc.Resource{ID: "r", Type: "bucket", Format: "terraform-plan", Attributes: map[string]any{}, Related: map[string][]string{"block": {"b1"}}},
			others: []demarc.Resource{{ID: "b1", Type: "block", Format: "terraform-plan", Attributes: map[string]any{}, Unknown: []string{"on"}}},
			want:   Indeterminate,
		},
		{
			name:  "type patterns",
			rules: "      - types: [\"*/Deployment\"]\n        expr: containers(resource).all(c, c.name != \"\")\n",
			res: demarc.Resource{ID: "r", Type: "apps/v1/Deployment", Attributes: map[string]any{"kind": "Deployment",
				"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "web"}}}}}}},
			want: Pass,
		},
		{
			name:  "values flattens lists on the way",
			rules: "      - types: [t]\n        expr: '!values(resource, \"ingress.cidr\").exists(c, isOpenCIDR(c))'\n",
			res: demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"ingress": []any{
				map[string]any{"cidr": []any{"10.0.0.0/8"}}, map[string]any{"cidr": []any{"192.168.0.0/16", "::/0"}}}}},
			want: Fail,
		},
		{
			name:  "ports as strings and ranges",
			rules: "      - types: [t]\n        expr: coversPort(resource.range, null, 22) && !coversPort(\"80\", \"443\", 22) && coversPort(\"*\", null, 3389)\n",
			res:   demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"range": "20-30"}},
			want:  Pass,
		},
		{
			name:  "JSON documents in strings",
			rules: "      - types: [t]\n        expr: parseJSON(resource.policy).Statement[0].Effect == \"Deny\"\n",
			res:   demarc.Resource{ID: "r", Type: "t", Attributes: map[string]any{"policy": `{"Statement":[{"Effect":"Deny"}]}`}},
			want:  Pass,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := mustParse(t, policyFile("p", c.rules), LoadOptions{})
			snap := &demarc.Snapshot{File: "f", Resources: append([]demarc.Resource{c.res}, c.others...)}
			got, ok := evaluate(t, set, Options{}, snap)["r"]
			if !ok {
				t.Fatalf("no result for the resource")
			}
			if got.Status != c.want {
				t.Fatalf("status %s (%s), want %s", got.Status, got.Reason, c.want)
			}
			if c.reason != "" && !strings.Contains(got.Reason, c.reason) {
				t.Errorf("reason %q does not mention %q", got.Reason, c.reason)
			}
		})
	}
}

// A resource meets only the policies that match its type.
func TestDispatchByType(t *testing.T) {
	src := `policies:
  - {id: a, title: t, severity: low, areas: [data.backup], message: m, remediation: r, rules: [{types: [x], expr: "true"}]}
  - {id: b, title: t, severity: low, areas: [data.backup], message: m, remediation: r, rules: [{types: ["v1/*", y], expr: "true"}]}
  - {id: c, title: t, severity: low, areas: [data.backup], message: m, remediation: r, rules: [{types: [z], expr: "true"}, {types: [x], expr: "false"}]}
`
	set := mustParse(t, src, LoadOptions{})
	snap := &demarc.Snapshot{Resources: []demarc.Resource{
		{ID: "1", Type: "x"}, {ID: "2", Type: "y"}, {ID: "3", Type: "v1/Pod"}, {ID: "4", Type: "w"},
	}}
	got := map[string][]string{}
	err := CheckSnapshots(context.Background(), NewEngine(set, Options{}), []*demarc.Snapshot{snap}, func(b Batch) {
		for _, r := range b.Results {
			got[r.Resource.ID] = append(got[r.Resource.ID], r.Policy.ID+"="+string(r.Status))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"1": "a=pass c=fail", "2": "b=pass", "3": "b=pass", "4": ""}
	for id, w := range want {
		if g := strings.Join(sorted(got[id]), " "); g != w {
			t.Errorf("resource %s met %q, want %q", id, g, w)
		}
	}
}

func sorted(ss []string) []string {
	out := append([]string(nil), ss...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// An evaluation that exceeds its run-time cost limit, or runs past its
// deadline, is indeterminate — and the others still run.
func TestRuntimeLimits(t *testing.T) {
	big := make([]any, 3000)
	for i := range big {
		big[i] = int64(i)
	}
	rules := "      - types: [t]\n        expr: resource.xs.all(a, resource.xs.exists(b, b == a))\n"
	cases := []struct {
		name     string
		limits   Limits
		deadline time.Duration
		reason   string
	}{
		{"cost", Limits{RuntimeCost: 10_000}, time.Minute, "cost limit of 10000"},
		{"deadline", Limits{RuntimeCost: 1 << 62}, 20 * time.Millisecond, "took longer than 20ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := mustParse(t, policyFile("p", rules), LoadOptions{Limits: c.limits})
			snap := &demarc.Snapshot{Resources: []demarc.Resource{
				{ID: "big", Type: "t", Attributes: map[string]any{"xs": big}},
				{ID: "small", Type: "t", Attributes: map[string]any{"xs": []any{int64(1), int64(2)}}},
			}}
			start := time.Now()
			got := evaluate(t, set, Options{Deadline: c.deadline}, snap)
			if r := got["big"]; r.Status != Indeterminate || !strings.Contains(r.Reason, c.reason) {
				t.Errorf("big: %s (%s), want indeterminate: %s", r.Status, r.Reason, c.reason)
			}
			if r := got["small"]; r.Status != Pass {
				t.Errorf("small: %s (%s), want pass", r.Status, r.Reason)
			}
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("took %s", el)
			}
		})
	}
}

// The values a result shows are those the rule read; sensitive ones are
// withheld and unknown ones marked.
func TestResultValues(t *testing.T) {
	rules := "      - types: [t]\n        expr: get(resource, \"cfg.mode\", \"\") == \"on\" && resource.password != \"\" && resource.tags.size() > 0 && isSet(resource, \"key\")\n"
	set := mustParse(t, policyFile("p", rules), LoadOptions{})
	snap := &demarc.Snapshot{Resources: []demarc.Resource{{
		ID: "r", Type: "t", Format: "terraform-plan",
		Attributes: map[string]any{"cfg": []any{map[string]any{"mode": "off"}}, "password": "hunter2", "tags": map[string]any{}},
		Sensitive:  []string{"password"},
		Unknown:    []string{"key"},
	}}}
	r := evaluate(t, set, Options{}, snap)["r"]
	text := valueList(r.Values())
	for _, want := range []string{`cfg[0].mode="off"`, "password=(sensitive)", "key=(unknown)", "tags={}"} {
		if !strings.Contains(text, want) {
			t.Errorf("values %q lack %q", text, want)
		}
	}
	if strings.Contains(text, "hunter2") {
		t.Errorf("a sensitive value leaked: %s", text)
	}
}

// Results do not depend on how many workers evaluate them.
func TestWorkersAgree(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	snap := syntheticSnapshot(2000, 1)
	counts := func(workers int) map[Status]int {
		n := map[Status]int{}
		err := CheckSnapshots(context.Background(), NewEngine(set, Options{Workers: workers}), []*demarc.Snapshot{snap}, func(b Batch) {
			for _, r := range b.Results {
				n[r.Status]++
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	one, four := counts(1), counts(4)
	if fmt.Sprint(one) != fmt.Sprint(four) {
		t.Errorf("1 worker: %v; 4 workers: %v", one, four)
	}
	if one[Fail] == 0 || one[Pass] == 0 {
		t.Errorf("the synthetic resources should both pass and fail: %v", one)
	}
}
