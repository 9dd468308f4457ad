// Package counterpart_test holds the test that holds the built-in policy
// pack to labelled good and bad configuration snippets: it reads them with
// the input side, so it lives apart from the engine's own tests.
package counterpart_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/snapshot"
)

// trivyChecks is the folder of labelled good and bad snippets, one file
// per check, that built-in policies name as their counterparts.
const trivyChecks = "configs/aquasecurity-trivy-checks"

// counterpartCase is one labelled snippet of a counterpart file.
type counterpartCase struct {
	format string // the file's section: terraform, cloudformation, kubernetes
	label  string // good or bad
	index  int
	input  string
}

// readCounterpart returns the labelled snippets of a counterpart file.
func readCounterpart(t *testing.T, path string) []counterpartCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read counterpart: %v", err)
	}
	var doc map[string]struct {
		Good []string `yaml:"good"`
		Bad  []string `yaml:"bad"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []counterpartCase
	for _, format := range sortedSections(doc) {
		sec := doc[format]
		for i, s := range sec.Good {
			out = append(out, counterpartCase{format, "good", i, s})
		}
		for i, s := range sec.Bad {
			out = append(out, counterpartCase{format, "bad", i, s})
		}
	}
	return out
}

func sortedSections[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// For every built-in policy with a counterpart among the labelled
// snippets, the good snippets pass (or the policy does not apply to them)
// and the bad ones fail; and at least one good snippet really passes, so
// a policy that never matches cannot slip through.
func TestBuiltinPoliciesAgreeWithCounterparts(t *testing.T) {
	base := realdata.Path(t, trivyChecks)
	set, err := check.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	withCounterpart := 0
	for _, p := range set.Policies() {
		if p.Counterpart == "" {
			continue
		}
		withCounterpart++
		t.Run(p.ID, func(t *testing.T) {
			ev := check.NewEngine(set, check.Options{Workers: 1})
			passed := false
			for _, c := range readCounterpart(t, filepath.Join(base, p.Counterpart)) {
				name := fmt.Sprintf("%s %s[%d]", c.format, c.label, c.index)
				snap, err := snapshot.ParseBytes(p.Counterpart+" "+name, c.format, []byte(c.input))
				if err != nil {
					t.Errorf("%s: does not parse: %v", name, err)
					continue
				}
				got, detail := check.Verdict(ctx, ev, p, snap, nil)
				switch {
				case c.label == "good" && got == check.Pass:
					passed = true
				case c.label == "good" && got == check.NotApplicable:
				case c.label == "bad" && got == check.Fail:
				default:
					t.Errorf("%s: got %s, want %s (%s)\n%s", name, got, map[string]check.Status{"good": check.Pass, "bad": check.Fail}[c.label], detail, c.input)
				}
			}
			if !passed {
				t.Errorf("no good snippet of %s passes", p.Counterpart)
			}
		})
	}
	t.Logf("%d of %d built-in policies have counterparts", withCounterpart, len(set.Policies()))
}
