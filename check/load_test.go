package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

func knownAreas(t *testing.T) func(demarc.AreaID) bool {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return func(a demarc.AreaID) bool { return lib.Area(a) != nil }
}

// A good policy placed after a bad one, to prove the bad one never stops
// the others.
const goodPolicy = `
  - id: still-loads
    title: t
    severity: low
    areas: [data.backup]
    message: m
    remediation: r
    rules:
      - types: [t]
        expr: "true"
`

// Bad policies are reported with their file, line, field and id, and what
// was expected; the good policy in the same file still loads.
func TestLoadProblems(t *testing.T) {
	cases := []struct {
		name string
		bad  string
		line int
		want []string
	}{
		{
			name: "expression that does not compile",
			bad: `
  - id: broken
    title: t
    severity: high
    areas: [data.backup]
    message: m
    remediation: r
    rules:
      - types: [t]
        expr: |
          resource.a == 1
            && undeclared_thing
`,
			line: 12,
			want: []string{"policies[0].rules[0].expr", "policy broken", "undeclared reference to 'undeclared_thing'"},
		},
		{
			name: "expression over its cost budget",
			bad: `
  - id: too-costly
    title: t
    severity: high
    areas: [data.backup]
    message: m
    remediation: r
    rules:
      - types: [t]
        expr: resource.a.all(x, resource.a.all(y, resource.a.all(z, x + y == z)))
`,
			line: 10,
			want: []string{"policy too-costly", "exceeds the budget"},
		},
		{
			name: "expression that is not a boolean",
			bad: `
  - id: not-bool
    title: t
    severity: high
    areas: [data.backup]
    message: m
    remediation: r
    rules:
      - types: [t]
        expr: '"yes"'
`,
			line: 10,
			want: []string{"policy not-bool", "yields string; expected a boolean"},
		},
		{
			name: "unknown severity",
			bad: `
  - id: bad-severity
    title: t
    severity: severe
    areas: [data.backup]
    message: m
    remediation: r
    rules: [{types: [t], expr: "true"}]
`,
			line: 4,
			want: []string{"policies[0].severity", "policy bad-severity", `expected one of "low", "medium", "high", "critical"`},
		},
		{
			name: "unknown area",
			bad: `
  - id: bad-area
    title: t
    severity: low
    areas: [data.backups]
    message: m
    remediation: r
    rules: [{types: [t], expr: "true"}]
`,
			line: 5,
			want: []string{"policies[0].areas[0]", `unknown area "data.backups"`},
		},
		{
			name: "missing rules and unknown field",
			bad: `
  - id: no-rules
    title: t
    severity: low
    areas: [data.backup]
    message: m
    remediation: r
    colour: red
`,
			line: 2,
			want: []string{"policy no-rules", `missing required field "rules"`},
		},
		{
			name: "example with both a snippet and a resource",
			bad: `
  - id: bad-example
    title: t
    severity: low
    areas: [data.backup]
    message: m
    remediation: r
    rules: [{types: [t], expr: "true"}]
    examples:
      - expect: pass
        format: terraform
        input: x
        resource: {type: t, attributes: {}}
`,
			line: 10,
			want: []string{"policies[0].examples[0]", "either a resource or an input"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "policies:" + c.bad + goodPolicy
			set, ps := Parse("p.yaml", []byte(src), LoadOptions{KnownArea: knownAreas(t)})
			if len(ps) == 0 {
				t.Fatal("no problem reported")
			}
			got := ps.Error()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems %q do not mention %q", got, w)
				}
			}
			if ps[0].Pos.File != "p.yaml" || ps[0].Pos.Line != c.line {
				t.Errorf("problem at %s, want p.yaml:%d", ps[0].Pos, c.line)
			}
			if set.Policy("still-loads") == nil {
				t.Error("the good policy did not load")
			}
		})
	}
}

func TestLoadFileProblems(t *testing.T) {
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"syntax error", "policies:\n  - id: [unclosed\n", "invalid YAML", -1},
		{"empty", "", "file is empty", 0},
		{"not a policy file", "areas: []\n", `unknown field "areas"`, 1},
		{"duplicate ids", "policies:" + goodPolicy + goodPolicy, "policy still-loads is already defined at p.yaml:2", 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ps := Parse("p.yaml", []byte(c.src), LoadOptions{})
			if len(ps) == 0 || !strings.Contains(ps.Error(), c.want) {
				t.Fatalf("problems %v; want %q", ps, c.want)
			}
			if c.line >= 0 && ps[0].Pos.Line != c.line {
				t.Errorf("line %d, want %d", ps[0].Pos.Line, c.line)
			}
		})
	}
}

// Load reads files and folders; an unreadable path is a problem, not a
// stop.
func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("team/a.yaml", "policies:"+goodPolicy)
	write("team/notes.txt", "not a policy")
	single := write("b.yml", strings.ReplaceAll("policies:"+goodPolicy, "still-loads", "other"))
	set, ps := Load([]string{filepath.Join(dir, "team"), single, filepath.Join(dir, "missing.yaml")}, LoadOptions{})
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "cannot read") {
		t.Fatalf("problems %v; want one for the missing file", ps)
	}
	if set.Policy("still-loads") == nil || set.Policy("other") == nil || len(set.Policies()) != 2 {
		t.Errorf("loaded %d policies", len(set.Policies()))
	}
	if len(set.Sources) != 2 || len(set.Sources[0].SHA256) != 64 {
		t.Errorf("sources %+v", set.Sources)
	}
}

// Merge lets a user policy replace a built-in one with the same id.
func TestMerge(t *testing.T) {
	base, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	mine := mustParse(t, strings.ReplaceAll("policies:"+goodPolicy, "still-loads", "aws-s3-versioning"), LoadOptions{})
	merged := base.Merge(mine)
	if len(merged.Policies()) != len(base.Policies()) {
		t.Errorf("%d policies after merge, want %d", len(merged.Policies()), len(base.Policies()))
	}
	if p := merged.Policy("aws-s3-versioning"); p == nil || p.Title != "t" {
		t.Errorf("the user policy did not replace the built-in one")
	}
	for _, r := range merged.rules {
		if r.policy.ID == "aws-s3-versioning" && r.policy.Title != "t" {
			t.Error("a rule of the replaced policy survived")
		}
	}
}

// The built-in pack: every policy names known areas, has both a passing
// and a failing example, and covers the platforms it promises.
func TestBuiltinPack(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	known := knownAreas(t)
	providers := map[string]int{}
	for _, p := range set.Policies() {
		for _, a := range p.Areas {
			if !known(a) {
				t.Errorf("%s: unknown area %s", p.ID, a)
			}
		}
		expects := map[Status]bool{}
		for _, ex := range p.Examples {
			expects[ex.Expect] = true
		}
		if !expects[Pass] || !expects[Fail] {
			t.Errorf("%s: needs a passing and a failing example", p.ID)
		}
		providers[strings.SplitN(p.ID, "-", 2)[0]]++
	}
	if len(set.Policies()) < 80 {
		t.Errorf("%d built-in policies, want at least 80", len(set.Policies()))
	}
	for _, prov := range []string{"aws", "azure", "gcp", "k8s"} {
		if providers[prov] < 10 {
			t.Errorf("%d %s policies", providers[prov], prov)
		}
	}
}
