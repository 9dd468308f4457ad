package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// TestRealConfigurationFiles reads every file of the public configuration
// corpora: each must be read, or reported by name with the reason.
func TestRealConfigurationFiles(t *testing.T) {
	dir := realdata.Path(t, "configs")
	var mu sync.Mutex
	formats := map[string]int{}
	resources := 0
	var unread []string
	err := Walk(context.Background(), []string{dir}, func(s *demarc.Snapshot) error {
		mu.Lock()
		defer mu.Unlock()
		formats[s.Format]++
		resources += len(s.Resources)
		rel, _ := filepath.Rel(dir, s.File)
		switch s.Format {
		case "", FormatUnsupported:
			if len(s.Problems) == 0 || s.Problems[0].Message == "" {
				t.Errorf("%s: not read, and no reason given", rel)
			}
			if !strings.HasPrefix(s.Problems[0].Pos.File, s.File) {
				t.Errorf("%s: the reason does not name the file: %v", rel, s.Problems[0])
			}
			unread = append(unread, fmt.Sprintf("%s [%s]: %s", rel, s.Format, s.Problems[0].Message))
		default:
			checkSnapshot(t, rel, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(unread)
	for _, u := range unread {
		t.Log(u)
	}
	want := map[string]int{
		FormatTerraformPlan:  65,
		FormatTerraformState: 9,
		FormatTerraform:      62,
		FormatCloudFormation: 72,
		FormatKubernetes:     41,
		FormatUnsupported:    480,
		"":                   2, // testdata/invalid/{plan,state}.json, broken on purpose
	}
	for f, n := range want {
		if formats[f] != n {
			t.Errorf("format %q: %d files, want %d", f, formats[f], n)
		}
	}
	for f, n := range formats {
		if _, ok := want[f]; !ok {
			t.Errorf("unexpected format %q: %d files", f, n)
		}
	}
	t.Logf("formats %v, %d resources", formats, resources)

	// Every other file of the corpus is part of a module Walk read, or is
	// one Walk leaves alone by its name; read by name, each says why.
	skipped, all, tf := 0, 0, 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		all++
		if strings.HasSuffix(p, ".tf") {
			tf++
		}
		if walkable(p) || strings.HasSuffix(p, ".tf") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		_, err = Read(p)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Walk skips it, but Read gives %v", rel, err)
			return nil
		}
		skipped++
		t.Logf("%s [not walked]: %s", rel, problemsOf(err)[0].Message)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 14 {
		t.Errorf("%d files skipped by name, want 14 (.tfvars, .hcl, README.md, LICENSE.upstream)", skipped)
	}
	snapshots := 0
	for f, n := range formats {
		if f != FormatTerraform {
			snapshots += n
		}
	}
	if all != snapshots+tf+skipped {
		t.Errorf("%d files in the corpus, but %d read alone, %d .tf in modules and %d skipped", all, snapshots, tf, skipped)
	}
}

// checkSnapshot asserts what every snapshot read must satisfy.
func checkSnapshot(t *testing.T, name string, s *demarc.Snapshot) {
	t.Helper()
	if len(s.SHA256) != 64 {
		t.Errorf("%s: digest %q", name, s.SHA256)
	}
	seen := map[string]bool{}
	for _, r := range s.Resources {
		if r.ID == "" || r.Type == "" || r.Format == "" || r.Provider == "" || r.Attributes == nil || r.Pos.File == "" {
			t.Errorf("%s: incomplete resource %s (%s, %s, %s)", name, r.ID, r.Type, r.Format, r.Provider)
		}
		if seen[r.ID] {
			t.Errorf("%s: id %s twice", name, r.ID)
		}
		seen[r.ID] = true
		for _, p := range append(append([]string{}, r.Unknown...), r.Sensitive...) {
			if _, ok := SplitPath(p); !ok {
				t.Errorf("%s: %s: malformed path %q", name, r.ID, p)
			}
		}
	}
	for _, r := range s.Resources {
		for typ, ids := range r.Related {
			for _, id := range ids {
				if !seen[id] {
					t.Errorf("%s: %s is related to %s, which is not in the snapshot", name, r.ID, id)
				}
				_ = typ
			}
		}
	}
}

// TestRealTerraformFiles reads each .tf file of the corpora on its own:
// some folders hold unrelated examples that clash as one module.
func TestRealTerraformFiles(t *testing.T) {
	dir := realdata.Path(t, "configs")
	read, failed, resources := 0, 0, 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return err
		}
		s, err := Read(p)
		if err != nil {
			failed++
			t.Logf("%s: %v", p, err)
			return nil
		}
		read++
		resources += len(s.Resources)
		checkSnapshot(t, p, s)
		if len(s.Problems) > 0 {
			t.Errorf("%s: problems %v", p, s.Problems)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if read != 146 || failed != 0 {
		t.Errorf("read %d .tf files, %d failed; want 146 and 0", read, failed)
	}
	t.Logf("%d files, %d resources", read, resources)
}

// TestPolicyExampleSnippets reads every good and bad example of the
// trivy checks, each in the format its key names.
func TestPolicyExampleSnippets(t *testing.T) {
	dir := realdata.Path(t, "configs/aquasecurity-trivy-checks/checks")
	ok := map[string]int{}
	empty := map[string]int{}
	withProblems := 0
	var failures []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var check map[string]struct {
			Good []string `yaml:"good"`
			Bad  []string `yaml:"bad"`
		}
		if err := yaml.Unmarshal(data, &check); err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		for format, ex := range check {
			if canonicalFormat(format) == "" {
				continue // dockerfile and others are not configuration
			}
			for kind, snippets := range map[string][]string{"good": ex.Good, "bad": ex.Bad} {
				for i, src := range snippets {
					name := fmt.Sprintf("%s#%s.%s[%d]", rel, format, kind, i)
					s, err := ParseBytes(name, format, []byte(src))
					switch {
					case err != nil:
						failures = append(failures, fmt.Sprintf("%s: %v", name, err))
					case len(s.Resources) == 0:
						empty[format]++
						t.Logf("%s: no resources", name)
					default:
						ok[format]++
						checkSnapshot(t, name, s)
						if len(s.Problems) > 0 {
							withProblems++
							t.Logf("%s: %s", name, s.Problems)
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(failures)
	for _, f := range failures {
		t.Log(f)
	}
	want := map[string]int{"terraform": 843, "cloudformation": 243, "kubernetes": 75}
	for f, n := range want {
		if ok[f] != n {
			t.Errorf("%s: %d snippets read, want %d", f, ok[f], n)
		}
	}
	if len(failures) != 0 {
		t.Errorf("%d snippets failed", len(failures))
	}
	// cloud/aws/iam/no_policy_wildcards.yaml#cloudformation.bad[0] is
	// indented wrongly upstream: its policy lands in Resources.
	if withProblems != 1 {
		t.Errorf("%d snippets with problems, want 1", withProblems)
	}
	if len(empty) != 0 {
		t.Errorf("snippets without resources: %v", empty)
	}
	t.Logf("read %v", ok)
}
