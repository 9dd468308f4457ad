package resolve_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// A resolution case: a system (and optionally extra library content), the
// assignments it must produce, and control roll-ups.
type resolutionCase struct {
	Description string `yaml:"description"`
	Library     string `yaml:"library"`
	System      string `yaml:"system"`
	Expect      []struct {
		Component string         `yaml:"component"`
		Area      demarc.AreaID  `yaml:"area"`
		Owner     demarc.Owner   `yaml:"owner"`
		Sharing   demarc.Sharing `yaml:"sharing"`
		Level     demarc.Level   `yaml:"level"`
		Via       []string       `yaml:"via"`
		Parties   []string       `yaml:"parties"` // e.g. provider:aws, customer, third-party:acme
		Source    string         `yaml:"source"`  // substring of the deciding rule's source
	} `yaml:"expect"`
	Controls []struct {
		Framework demarc.FrameworkID `yaml:"framework"`
		Control   demarc.ControlID   `yaml:"control"`
		Owner     demarc.Owner       `yaml:"owner"`
		Sharing   demarc.Sharing     `yaml:"sharing"`
	} `yaml:"controls"`
}

func TestResolutionCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			runCase(t, file)
		})
	}
}

func runCase(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c resolutionCase
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("case file: %v", err)
	}
	lib := caseLibrary(t, c.Library)
	sys, err := systemfile.Parse(file, []byte(c.System))
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
	for _, e := range c.Expect {
		got := res.Assignment(e.Component, e.Area)
		if got == nil {
			t.Errorf("%s/%s: no assignment", e.Component, e.Area)
			continue
		}
		where := e.Component + " " + string(e.Area)
		check(t, where+" owner", string(got.Owner), string(e.Owner))
		if e.Sharing != "" {
			check(t, where+" sharing", string(got.Sharing), string(e.Sharing))
		}
		if e.Level != "" {
			check(t, where+" level", string(got.Provenance.Decided.Level), string(e.Level))
		}
		if e.Via != nil {
			check(t, where+" via", strings.Join(got.Provenance.Via, ","), strings.Join(e.Via, ","))
		}
		if e.Parties != nil {
			check(t, where+" parties", strings.Join(parties(got.Parts), ","), strings.Join(e.Parties, ","))
		}
		if e.Source != "" && !strings.Contains(got.Provenance.Decided.Source, e.Source) {
			t.Errorf("%s source = %q, want it to contain %q", where, got.Provenance.Decided.Source, e.Source)
		}
	}
	for _, e := range c.Controls {
		fw := lib.Framework(e.Framework)
		ctl := lib.Control(e.Framework, e.Control)
		if fw == nil || ctl == nil {
			t.Errorf("unknown control %s %s", e.Framework, e.Control)
			continue
		}
		got := res.Control(ctl)
		check(t, string(e.Control)+" owner", string(got.Owner), string(e.Owner))
		if e.Sharing != "" {
			check(t, string(e.Control)+" sharing", string(got.Sharing), string(e.Sharing))
		}
	}
}

func caseLibrary(t *testing.T, extra string) *library.Library {
	t.Helper()
	if extra == "" {
		lib, err := library.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		return lib
	}
	f, err := library.ParseFile("case-library.yaml", []byte(extra))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Extend(f)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func parties(parts []demarc.Part) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p.Party.String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func check(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
