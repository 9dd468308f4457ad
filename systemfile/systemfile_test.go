package systemfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/systemfile"
)

func lib(t testing.TB) *library.Library {
	t.Helper()
	l, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func parseAndCheck(t testing.TB, src string) error {
	sys, err := systemfile.Parse("sys.yaml", []byte(src))
	if err != nil {
		return err
	}
	return systemfile.Check(sys, lib(t)).Err()
}

func TestMinimalSystem(t *testing.T) {
	src := `name: serverless-webshop
components:
  - name: shop-app
    service: generic/caas
    runs_on: cluster
  - name: cluster
    service: generic/iaas
`
	sys, err := systemfile.Parse("sys.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := systemfile.Check(sys, lib(t)).Err(); err != nil {
		t.Fatal(err)
	}
	if got := sys.Components[1].Pos.String(); got != "sys.yaml:6" {
		t.Errorf("component position = %s, want sys.yaml:6", got)
	}
}

// Every kind of bad system file gets an error naming the line and field
// and saying what was expected.
func TestBadSystemFiles(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown service", "name: s\ncomponents:\n  - name: api\n    service: generic/iaaz\n", []string{"sys.yaml:3", "components[0].service", `unknown service "generic/iaaz"`, `did you mean "generic/iaas"`}},
		{"dangling runs_on", "name: s\ncomponents:\n  - name: app\n    service: generic/caas\n    runs_on: clustr\n  - name: cluster\n    service: generic/iaas\n", []string{"sys.yaml:3", "runs_on", `"clustr"`, `did you mean "cluster"`}},
		{"runs_on itself", "name: s\ncomponents:\n  - name: app\n    service: generic/caas\n    runs_on: app\n", []string{"sys.yaml:3", "runs on itself"}},
		{"runs_on cycle", "name: s\ncomponents:\n  - name: a\n    service: generic/caas\n    runs_on: b\n  - name: b\n    service: generic/iaas\n    runs_on: a\n", []string{"sys.yaml:3", "runs_on cycle: a → b → a", "sys.yaml:6"}},
		{"duplicate names", "name: s\ncomponents:\n  - name: a\n    service: generic/iaas\n  - name: a\n    service: generic/paas\n", []string{"sys.yaml:5", `duplicate component name "a" (first at line 3)`}},
		{"unknown framework", "name: s\nframeworks: [nist-800-53]\ncomponents:\n  - name: a\n    service: generic/iaas\n", []string{"frameworks[0]", `unknown framework "nist-800-53"`, "nist-800-53-r5"}},
		{"unknown field", "name: s\ncomponents:\n  - name: a\n    servce: generic/iaas\n", []string{"sys.yaml:4", `unknown field "servce"`}},
		{"missing service", "name: s\ncomponents:\n  - name: a\n", []string{"sys.yaml:3", `missing required field "service"`}},
		{"no components", "name: s\ncomponents: []\n", []string{"sys.yaml:2", "at least 1"}},
		{"bad owner in override", "name: s\ncomponents:\n  - name: a\n    service: generic/iaas\noverrides:\n  - area: os.patching\n    owner: nobody\n    reason: r\n", []string{"sys.yaml:7", `"nobody"`}},
		{"override without reason", "name: s\ncomponents:\n  - name: a\n    service: generic/iaas\noverrides:\n  - area: os.patching\n    owner: provider\n", []string{"sys.yaml:6", `"reason"`}},
		{"override of unknown area", "name: s\ncomponents:\n  - name: a\n    service: generic/iaas\noverrides:\n  - area: os.patchin\n    owner: provider\n    reason: r\n", []string{"sys.yaml:6", `unknown area "os.patchin"`}},
		{"team with unknown area", "name: s\ncomponents:\n  - name: a\n    service: generic/iaas\nteams:\n  - name: ops\n    responsible: [os.patchin, nothing.*]\n", []string{"sys.yaml:6", `"os.patchin" matches no area`, `"nothing.*" matches no area`}},
		{"syntax", "name: s\ncomponents:\n  - name: a\n    service: [generic/iaas\n", []string{"sys.yaml:", "invalid YAML"}},
		{"provider on a named service", "name: s\ncomponents:\n  - name: a\n    service: generic/iaas\n  - name: b\n    service: azure/functions\n    provider: acme\n", []string{"sys.yaml:5", "components[1].provider", "only for generic/* services"}},
		{"wrong type", "name: [s]\ncomponents:\n  - name: a\n    service: generic/iaas\n", []string{"sys.yaml:1", "name", "expected string"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := parseAndCheck(t, c.src)
			if err == nil {
				t.Fatal("accepted a bad system file")
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

func TestLoadErrors(t *testing.T) {
	if _, err := systemfile.Load("no-such-file.yaml", lib(t)); demarc.ErrorCode(err) != demarc.ENotFound {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	if _, err := systemfile.Load(dir, lib(t)); demarc.ErrorCode(err) != demarc.EInvalid {
		t.Errorf("directory: %v", err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := systemfile.Load(empty, lib(t)); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("name: s\ncomponents:\n  - name: a\n    service: generic/iaas\n    runs_on: a\n"))
	f.Add([]byte("name: s\ncomponents:\n  - {name: a, service: generic/caas, runs_on: b}\n  - {name: b, service: generic/iaas, runs_on: a}\n"))
	f.Add([]byte("x: &x\n  y: *x\n"))
	l := lib(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sys, err := systemfile.Parse("fuzz.yaml", data)
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error without invalid code: %v", err)
			}
			return
		}
		_ = systemfile.Check(sys, l) // must not panic; problems are expected
	})
}

func FuzzParseRegister(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/attestations/*.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("attestations:\n  - {id: a, provider: aws, type: soc2-type2, period: {from: 2025-01-01, to: 2024-01-01}, services: [aws/*]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := systemfile.ParseRegister("fuzz.yaml", data)
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error without invalid code: %v", err)
			}
			return
		}
		for i := range as {
			_ = as[i].ValidThrough() // must not panic on any parsed dates
		}
	})
}

func TestBadRegister(t *testing.T) {
	cases := []struct{ src, want string }{
		{"attestations:\n  - id: a\n    provider: aws\n    type: soc3\n    period: {from: 2025-01-01, to: 2025-02-01}\n    services: [aws/s3]\n", `reg.yaml:4: attestations[0].type: got "soc3"`},
		{"attestations:\n  - id: a\n    provider: aws\n    type: soc2-type2\n    period: {from: 2025-13-01, to: 2025-02-01}\n    services: [aws/s3]\n", "reg.yaml:5"},
		{"attestations:\n  - id: a\n    provider: aws\n    type: soc2-type2\n    period: {from: 2025-01-01, to: 2025-02-01}\n", `missing required field "services"`},
	}
	for _, c := range cases {
		_, err := systemfile.ParseRegister("reg.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want it to mention %q", err, c.want)
		}
	}
}
