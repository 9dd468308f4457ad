package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// A parseCase is one input and what a user would check in the resources
// read from it; the cases live in testdata/cases/*.yaml.
type parseCase struct {
	Name      string         `yaml:"name"`
	Format    string         `yaml:"format"`
	File      string         `yaml:"file"`
	Source    string         `yaml:"source"`
	Resources []caseResource `yaml:"resources"`
	Problems  []string       `yaml:"problems"` // substrings, one per problem
}

type caseResource struct {
	ID        string              `yaml:"id"`
	Type      string              `yaml:"type"`
	Provider  string              `yaml:"provider"`
	Line      int                 `yaml:"line"`
	Values    map[string]any      `yaml:"values"` // path → value
	Absent    []string            `yaml:"absent"` // paths that must not exist
	Unknown   []string            `yaml:"unknown"`
	Sensitive []string            `yaml:"sensitive"`
	Related   map[string][]string `yaml:"related"`
}

func TestCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []parseCase
		if err := yaml.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml")+"/"+c.Name, func(t *testing.T) {
				runCase(t, c)
			})
		}
	}
}

func runCase(t *testing.T, c parseCase) {
	name := c.File
	if name == "" {
		name = "input"
	}
	s, err := ParseBytes(name, c.Format, []byte(c.Source))
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, r := range s.Resources {
		got = append(got, r.ID)
	}
	for _, r := range c.Resources {
		want = append(want, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("resources\n got %v\nwant %v", got, want)
	}
	if len(s.Problems) != len(c.Problems) {
		t.Errorf("problems %v, want %d: %v", s.Problems, len(c.Problems), c.Problems)
	}
	for i, p := range c.Problems {
		if i < len(s.Problems) && !strings.Contains(s.Problems[i].String(), p) {
			t.Errorf("problem %d = %q, want it to contain %q", i, s.Problems[i], p)
		}
	}
	ix := NewIndex(s)
	for _, want := range c.Resources {
		if r := ix.Get(want.ID); r != nil {
			checkResource(t, r, want)
		}
	}
}

func checkResource(t *testing.T, r *demarc.Resource, want caseResource) {
	t.Helper()
	if want.Type != "" && r.Type != want.Type {
		t.Errorf("%s: type %q, want %q", r.ID, r.Type, want.Type)
	}
	if want.Provider != "" && r.Provider != want.Provider {
		t.Errorf("%s: provider %q, want %q", r.ID, r.Provider, want.Provider)
	}
	if want.Line != 0 && r.Pos.Line != want.Line {
		t.Errorf("%s: line %d, want %d", r.ID, r.Pos.Line, want.Line)
	}
	for path, v := range want.Values {
		got, ok := Lookup(r.Attributes, path)
		if !ok {
			t.Errorf("%s: %s is missing; attributes %v", r.ID, path, r.Attributes)
			continue
		}
		if !sameValue(got, v) {
			t.Errorf("%s: %s = %#v, want %#v", r.ID, path, got, v)
		}
	}
	for _, path := range want.Absent {
		if got, ok := Lookup(r.Attributes, path); ok {
			t.Errorf("%s: %s = %v, want it absent", r.ID, path, got)
		}
	}
	if !slices.Equal(r.Unknown, want.Unknown) {
		t.Errorf("%s: unknown %q, want %q", r.ID, r.Unknown, want.Unknown)
	}
	if !slices.Equal(r.Sensitive, want.Sensitive) {
		t.Errorf("%s: sensitive %q, want %q", r.ID, r.Sensitive, want.Sensitive)
	}
	related := want.Related
	if related == nil {
		related = map[string][]string{}
	}
	got := r.Related
	if got == nil {
		got = map[string][]string{}
	}
	if !reflect.DeepEqual(got, related) {
		t.Errorf("%s: related %v, want %v", r.ID, got, related)
	}
}

// sameValue compares a read value with one written in a case file, where
// YAML gives int for whole numbers.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case int:
		return got == int64(w)
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !sameValue(g[k], w[k]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(got) == fmt.Sprint(want) && reflect.TypeOf(got) == reflect.TypeOf(want)
}
