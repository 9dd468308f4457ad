package analyze_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// A gap case: a system, the date and framework it is judged at, the gaps
// it must show and the gaps it must not.
type gapCase struct {
	Description string             `yaml:"description"`
	Framework   demarc.FrameworkID `yaml:"framework"`
	AsOf        string             `yaml:"as_of"`
	Library     string             `yaml:"library"`
	System      string             `yaml:"system"`
	Expect      []gapExpect        `yaml:"expect"`
	Absent      []gapExpect        `yaml:"absent"`
}

type gapExpect struct {
	Kind       demarc.GapKind  `yaml:"kind"`
	Severity   demarc.Severity `yaml:"severity"`
	ID         string          `yaml:"id"`
	Contains   []string        `yaml:"contains"`
	Components []string        `yaml:"components"`
}

func TestGapCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) { runGapCase(t, f) })
	}
}

func runGapCase(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c gapCase
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("case file: %v", err)
	}
	an := analysis(t, file, c.Library, c.System, c.Framework, c.AsOf)
	gaps := an.Gaps()
	for _, e := range c.Expect {
		if g := find(gaps, e); g == nil {
			t.Errorf("missing gap %+v; got:\n%s", e, list(gaps))
		}
	}
	for _, e := range c.Absent {
		if g := find(gaps, e); g != nil {
			t.Errorf("unexpected gap %s: %s", g.ID, g.Message)
		}
	}
}

func analysis(t *testing.T, file, extra, src string, fw demarc.FrameworkID, asOf string) *analyze.Analysis {
	t.Helper()
	lib, err := library.Builtin()
	if extra != "" {
		var f *library.File
		if f, err = library.ParseFile(file, []byte(extra)); err == nil {
			lib, err = library.Extend(f)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := systemfile.Check(sys, lib).Err(); err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	if fw == "" {
		fw = "nist-800-53-r5"
	}
	opts := analyze.Options{}
	if asOf != "" {
		if opts.AsOf, err = demarc.ParseDate(asOf); err != nil {
			t.Fatal(err)
		}
	}
	return analyze.New(res, lib.Framework(fw), opts)
}

func find(gaps []demarc.Gap, e gapExpect) *demarc.Gap {
	for i := range gaps {
		g := &gaps[i]
		if e.Kind != "" && g.Kind != e.Kind || e.Severity != "" && g.Severity != e.Severity || e.ID != "" && g.ID != e.ID {
			continue
		}
		ok := true
		for _, s := range e.Contains {
			ok = ok && strings.Contains(g.Title+" "+g.Message+" "+g.Fix, s)
		}
		if e.Components != nil && strings.Join(g.Components, ",") != strings.Join(e.Components, ",") {
			ok = false
		}
		if ok {
			return g
		}
	}
	return nil
}

func list(gaps []demarc.Gap) string {
	var b strings.Builder
	for _, g := range gaps {
		b.WriteString("  " + g.ID + " [" + string(g.Severity) + "] " + g.Title + "\n")
	}
	return b.String()
}
