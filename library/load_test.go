package library_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// Bad library files must be rejected with the file, the line and what was
// expected — never a panic, never silently.
func TestBadLibraryFiles(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"syntax", "areas:\n  - id: x\n   layer: os\n", []string{"bad.yaml:1", "invalid YAML"}},
		{"unclosed flow", "areas: [\n  x,\n", []string{"bad.yaml:", "invalid YAML"}},
		{"unknown top-level key", "area:\n  - id: os.x\n", []string{"bad.yaml:1", `unknown field "area"`}},
		{"unknown field in rule", "models:\n  - id: iaas\n    title: t\n    defaults:\n      - area: os.patching\n        owner: customer\n        ownr: x\n", []string{"bad.yaml:7", `unknown field "ownr"`}},
		{"bad owner", "models:\n  - id: iaas\n    title: t\n    defaults:\n      - area: os.patching\n        owner: everyone\n", []string{"bad.yaml:6", `"everyone"`, "provider"}},
		{"shared without parts", "models:\n  - id: iaas\n    title: t\n    defaults:\n      - area: os.patching\n        owner: shared\n", []string{"bad.yaml:5", "sharing", "provider", "customer"}},
		{"unknown area", "models:\n  - id: iaas\n    title: t\n    defaults:\n      - area: os.patchng\n        owner: customer\n", []string{"bad.yaml:5", `unknown area "os.patchng"`, `did you mean "os.patching"`}},
		{"area twice", "models:\n  - id: iaas\n    title: t\n    defaults:\n      - area: os.patching\n        owner: customer\n      - area: os.patching\n        owner: provider\n", []string{"bad.yaml:7", "already assigned at line 5"}},
		{"service outside provider", "providers:\n  - id: acme\n    title: Acme\n    kind: saas\n    services:\n      - id: other/crm\n        title: CRM\n        model: saas\n        category: crm\n", []string{"bad.yaml:6", `must start with its provider's id "acme/"`}},
		{"control with no area", "frameworks:\n  - id: fw\n    title: F\n    controls:\n      - id: c-1\n        title: One\n", []string{"bad.yaml:5", "maps to no area"}},
		{"unknown parent", "frameworks:\n  - id: fw\n    title: F\n    controls:\n      - id: c-1.1\n        title: One\n        parent: c-1\n        areas: [os.patching]\n", []string{"bad.yaml:5", `unknown parent "c-1"`}},
		{"duplicate control", "frameworks:\n  - id: fw\n    title: F\n    controls:\n      - id: c-1\n        title: One\n        areas: [os.patching]\n      - id: C-1\n        title: Two\n        areas: [os.patching]\n", []string{"bad.yaml:8", "duplicate control"}},
		{"empty", "", []string{"bad.yaml", "empty"}},
		{"not a mapping", "- a\n- b\n", []string{"bad.yaml:1", "mapping"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := loadString(c.yaml)
			if err == nil {
				t.Fatal("accepted a bad file")
			}
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Errorf("code = %s, want invalid", demarc.ErrorCode(err))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func loadString(s string) error {
	f, err := library.ParseFile("bad.yaml", []byte(s))
	if err != nil {
		return err
	}
	_, err = library.Extend(f)
	return err
}

// A user file can add a service to a built-in provider without replacing
// the provider's other services.
func TestUserFileExtendsProvider(t *testing.T) {
	f, err := library.ParseFile("mine.yaml", []byte(`providers:
  - id: generic
    title: Generic provider
    kind: generic
    services:
      - id: generic/mainframe
        title: Mainframe hosting
        model: iaas
        category: compute
        overrides:
          - area: os.patching
            owner: provider
            note: The host patches z/OS.
`))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Extend(f)
	if err != nil {
		t.Fatal(err)
	}
	if lib.Service("generic/mainframe") == nil || lib.Service("generic/iaas") == nil {
		t.Fatal("the new service and the existing ones must both exist")
	}
	if got := lib.Service("generic/mainframe").Overrides[0].Pos.String(); got != "mine.yaml:11" {
		t.Errorf("rule position = %s, want mine.yaml:11", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := library.Load([]string{"does-not-exist.yaml"})
	var e *demarc.Error
	if !errors.As(err, &e) || e.Code != demarc.ENotFound {
		t.Fatalf("err = %v, want not_found", err)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("areas:\n  - id: os.x\n    layer: os\n    title: T\n    description: D\n"))
	f.Add([]byte("providers:\n  - id: a\n    title: A\n    kind: saas\n    services: []\n"))
	f.Add([]byte("frameworks:\n  - id: f\n    title: F\n    controls:\n      - {id: c, title: C, areas: [os.patching]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := library.ParseFile("fuzz.yaml", data)
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error without invalid code: %v", err)
			}
			return
		}
		if _, err := library.Extend(file); err != nil && demarc.ErrorCode(err) != demarc.EInvalid {
			t.Fatalf("error without invalid code: %v", err)
		}
	})
}
