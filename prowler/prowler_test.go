package prowler

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
)

const dataDir = "prowler-compliance"

func builtin(t testing.TB) *library.Library {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func parseReal(t testing.TB, name string) *Mapping {
	t.Helper()
	path := filepath.Join(realdata.Path(t, dataDir), name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every mapping file in the folder parses, maps and loads as a library
// framework; the counts are those of the files.
func TestEveryRealFile(t *testing.T) {
	cases := []struct {
		file             string
		shape            string
		requirements     int
		manual           int
		matched          demarc.FrameworkID
		repeats, leftOut int
	}{
		{"asd_essential_eight_aws.json", ShapeLegacy, 48, 24, "", 0, 0},
		{"aws_foundational_security_best_practices_aws.json", ShapeLegacy, 286, 81, "", 0, 0},
		{"c5_aws.json", ShapeLegacy, 610, 404, "", 0, 0},
		{"ccc_aws.json", ShapeLegacy, 172, 32, "", 0, 6},
		{"cis_3.0_azure.json", ShapeLegacy, 159, 46, "", 0, 1},
		{"cis_4.0_gcp.json", ShapeLegacy, 84, 13, "", 0, 0},
		{"cis_6.0_aws.json", ShapeLegacy, 63, 0, "", 0, 0},
		{"cis_controls_8.1.json", ShapeCurrent, 153, 74, "cis-v8", 0, 0},
		{"fedramp_moderate_revision_4_aws.json", ShapeLegacy, 63, 1, "nist-800-53-r5", 1, 0},
		{"iso27001_2022_aws.json", ShapeLegacy, 92, 55, "iso-27001-2022", 0, 0},
		{"iso27001_2022_azure.json", ShapeLegacy, 92, 61, "iso-27001-2022", 0, 0},
		{"iso27001_2022_gcp.json", ShapeLegacy, 92, 62, "iso-27001-2022", 0, 0},
		{"nist_800_53_revision_5_aws.json", ShapeLegacy, 287, 0, "nist-800-53-r5", 1, 0},
	}
	files, err := filepath.Glob(filepath.Join(realdata.Path(t, dataDir), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Fatalf("%d files in the folder, %d cases: add the new ones", len(files), len(cases))
	}
	lib := builtin(t)
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			m := parseReal(t, c.file)
			manual := 0
			for _, r := range m.Requirements {
				if r.Manual {
					manual++
				}
				if r.Line < 2 || !strings.HasPrefix(r.Path, "Requirements[") && !strings.HasPrefix(r.Path, "requirements[") {
					t.Errorf("%s: place %s line %d", r.ID, r.Path, r.Line)
				}
			}
			if m.Shape != c.shape || len(m.Requirements) != c.requirements || manual != c.manual || len(m.Problems) != 0 || len(m.Repeats) != c.repeats {
				t.Errorf("shape %s, %d requirements, %d manual, problems %v, repeats %v", m.Shape, len(m.Requirements), manual, m.Problems, m.Repeats)
			}
			matched, err := Map(m, lib, MapOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if matched != c.matched {
				t.Errorf("matched %q, want %q", matched, c.matched)
			}
			imp := Framework(m, matched, FrameworkOptions{})
			if len(imp.Left) != c.leftOut || len(imp.Left)+len(imp.Framework.Controls) != len(m.Requirements) {
				t.Errorf("%d left out, %d controls", len(imp.Left), len(imp.Framework.Controls))
			}
			var buf bytes.Buffer
			if err := imp.WriteLibrary(&buf); err != nil {
				t.Fatal(err)
			}
			f, err := library.ParseFile(c.file+".yaml", buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := library.Extend(f)
			if err != nil {
				t.Fatal(err)
			}
			if fw := loaded.Framework(imp.Framework.ID); fw == nil || len(fw.Controls) != len(imp.Framework.Controls) {
				t.Errorf("framework %s did not load whole", imp.Framework.ID)
			}
		})
	}
}

// What a reader of the files can check: how each requirement reached its
// areas, and its checks.
func TestRequirements(t *testing.T) {
	cases := []struct {
		file, id string
		from     string
		areas    []demarc.AreaID // contained in the requirement's areas
		checks   map[string][]string
		manual   bool
	}{
		{file: "nist_800_53_revision_5_aws.json", id: "ac_2_3_a", from: "nist-800-53-r5 ac-2.3"},
		{file: "nist_800_53_revision_5_aws.json", id: "ac_2_d_1", from: "nist-800-53-r5 ac-2"},
		{file: "fedramp_moderate_revision_4_aws.json", id: "ac-2-12-a", from: "nist-800-53-r5 ac-2.12"},
		{file: "iso27001_2022_aws.json", id: "A.5.1", from: "iso-27001-2022 a.5.1"},
		{file: "cis_controls_8.1.json", id: "1.1", from: "cis-v8 1.1",
			checks: map[string][]string{"aws": {"config_recorder_all_regions_enabled", "resourceexplorer2_indexes_found"}, "gcp": {"iam_cloud_asset_inventory_enabled"}}},
		// A CIS benchmark numbers its own way: its 2.3 is not CIS Controls 2.3.
		{file: "cis_3.0_azure.json", id: "2.3", from: "checks", areas: []demarc.AreaID{"identity.authentication"},
			checks: map[string][]string{"azure": {"entra_policy_ensure_default_user_cannot_create_tenants"}}},
		{file: "cis_4.0_gcp.json", id: "1.1", from: "section: 1 Identity and Access Management", areas: []demarc.AreaID{"identity.authentication"}, manual: true},
		{file: "ccc_aws.json", id: "CCC.Core.CN01.AR01", from: "references: ", areas: []demarc.AreaID{"network.encryption-in-transit"}},
		{file: "c5_aws.json", id: "HR-01.02B", from: "section: Personnel (HR)", areas: []demarc.AreaID{"gov.personnel-security"}, manual: true},
		{file: "asd_essential_eight_aws.json", id: "E8-1.1", from: "checks", areas: []demarc.AreaID{"ops.configuration-baseline"}},
	}
	lib := builtin(t)
	for _, c := range cases {
		t.Run(c.file+"/"+c.id, func(t *testing.T) {
			m := parseReal(t, c.file)
			if _, err := Map(m, lib, MapOptions{}); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(m.Requirements, func(r Requirement) bool { return r.ID == c.id })
			if i < 0 {
				t.Fatalf("no requirement %s", c.id)
			}
			r := m.Requirements[i]
			if !strings.HasPrefix(r.AreasFrom, c.from) {
				t.Errorf("areas from %q, want %q", r.AreasFrom, c.from)
			}
			for _, a := range c.areas {
				if !slices.Contains(r.Areas, a) {
					t.Errorf("areas %v lack %s", r.Areas, a)
				}
			}
			if c.checks != nil {
				got, _ := json.Marshal(r.Checks)
				want, _ := json.Marshal(c.checks)
				if string(got) != string(want) {
					t.Errorf("checks = %s, want %s", got, want)
				}
			}
			if r.Manual != c.manual {
				t.Errorf("manual = %v", r.Manual)
			}
		})
	}
}

// A repeated id is reported where it repeats, and its checks merged.
func TestDuplicateIDs(t *testing.T) {
	m := parseReal(t, "fedramp_moderate_revision_4_aws.json")
	p := m.Repeats[0]
	if len(m.Problems) > 0 || !strings.Contains(p.String(), `Requirements[37].Id: repeats id "ir-4-1" of Requirements[36]`) || p.Pos.Line < 100 {
		t.Errorf("problem = %s", p)
	}
}

func TestTitlesAreShortNamesOrIDs(t *testing.T) {
	lib := builtin(t)
	for _, file := range []string{"cis_3.0_azure.json", "c5_aws.json", "nist_800_53_revision_5_aws.json"} {
		m := parseReal(t, file)
		matched, err := Map(m, lib, MapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		imp := Framework(m, matched, FrameworkOptions{})
		for i, c := range imp.Framework.Controls {
			r := m.Requirements[slices.IndexFunc(m.Requirements, func(r Requirement) bool { return r.ID == string(c.ID) })]
			if c.Title != r.Name && c.Title != r.ID {
				t.Fatalf("%s control %d: title %q is neither the name nor the id", file, i, c.Title)
			}
		}
	}
	// CIS recommendations have no short name: the id stands in, never the
	// licensed recommendation text.
	m := parseReal(t, "cis_3.0_azure.json")
	if _, err := Map(m, lib, MapOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := Framework(m, "", FrameworkOptions{}).Framework.Controls[0]; c.Title != string(c.ID) {
		t.Errorf("title = %q", c.Title)
	}
}

func TestMapOptions(t *testing.T) {
	lib := builtin(t)
	m := parseReal(t, "iso27001_2022_aws.json")
	if fw, _ := Map(m, lib, MapOptions{Match: "none"}); fw != "" || strings.HasPrefix(m.Requirements[0].AreasFrom, "iso") {
		t.Errorf("--match none still matched %s: %s", fw, m.Requirements[0].AreasFrom)
	}
	if _, err := Map(m, lib, MapOptions{Match: "iso27001"}); demarc.ErrorCode(err) != demarc.ENotFound {
		t.Errorf("unknown match framework: %v", err)
	}
}

func TestCandidates(t *testing.T) {
	cases := []struct {
		fw   demarc.FrameworkID
		id   string
		want []string
	}{
		{nist, "ac_2_3_a", []string{"ac-2.3", "ac-2"}},
		{nist, "AC-2(12)", []string{"ac-2.12", "ac-2"}},
		{nist, "si-4-a-b-c", []string{"si-4"}},
		{soc2, "cc_6_1", []string{"cc6.1", "cc_6_1", "cc.6.1", "cc.6", "cc", "cc_6_1"}},
		{hipaa, "164_308_a_1_ii_a", []string{"164.308(a)(1)(ii)(a)", "164.308(a)(1)(ii)", "164.308(a)(1)", "164.308(a)", "164.308"}},
		{iso, "A.5.1", []string{"a.5.1", "a.5", "a", "a.5.1", "a.5", "a", "a.5.1", "a.5", "a"}},
	}
	for _, c := range cases {
		if got := candidates(c.fw, c.id); !slices.Equal(got, c.want) {
			t.Errorf("candidates(%s, %s) = %q, want %q", c.fw, c.id, got, c.want)
		}
	}
	lib := builtin(t)
	if c := lookup(lib, soc2, "cc_6_1"); c == nil || c.ID != "cc6.1" {
		t.Errorf("soc2 cc_6_1 → %v", c)
	}
	if c := lookup(lib, hipaa, "164_308_a_1_ii_a"); c == nil || c.ID != "164.308(a)(1)(ii)(a)" {
		t.Errorf("hipaa → %v", c)
	}
}

func TestMatchFramework(t *testing.T) {
	cases := []struct {
		framework, version string
		want               demarc.FrameworkID
	}{
		{"NIST-800-53-Revision-5", "", nist},
		{"FedRamp-Moderate-Revision-4", "", nist},
		{"ISO27001", "2022", iso},
		{"ISO27001", "2013", ""},
		{"CIS-Controls", "8.1", cis},
		{"CIS", "3.0", ""},
		{"CSA-CCM", "4.0", ccm},
		{"SOC2", "", soc2},
		{"PCI", "4.0", pci},
		{"PCI", "3.2.1", ""},
		{"HIPAA", "", hipaa},
		{"C5", "2025", ""},
	}
	for _, c := range cases {
		if got := MatchFramework(c.framework, c.version); got != c.want {
			t.Errorf("MatchFramework(%s, %s) = %q, want %q", c.framework, c.version, got, c.want)
		}
	}
}

func TestTableAreasExist(t *testing.T) {
	lib := builtin(t)
	areas, err := TableAreas()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		if lib.Area(a) == nil {
			t.Errorf("the table maps to unknown area %s", a)
		}
	}
	for _, fw := range []demarc.FrameworkID{nist, iso, cis, ccm, soc2, pci, hipaa} {
		if lib.Framework(fw) == nil {
			t.Errorf("built-in framework %s is gone", fw)
		}
	}
}

// Bad input gets an error naming the file and the place, never a panic.
func TestParseDefects(t *testing.T) {
	cases := []struct {
		name, data string
		err        string // whole-file error containing this
		problems   []string
	}{
		{name: "empty", data: "", err: "f.json: line 1, column 1: the file ends early"},
		{name: "array", data: "[]", err: `f.json: line 1: expected a JSON object, found "["`},
		{name: "truncated", data: "{\n \"Framework\": \"X\",\n \"Requirements\": [\n  {\"Id\": \"1\", \"Checks\": [", err: "f.json: line 4, column 26: the file ends early (truncated?)"},
		{name: "syntax", data: "{\n \"Framework\": \"X\",\n \"Requirements\": [\n  {\"Id\": \"1\" \"Checks\": []}]}", err: "f.json: line 4, column 14: invalid character '\"' after object key:value pair"},
		{name: "no requirements", data: `{"Framework": "X"}`, err: "no Requirements (or requirements) array"},
		{name: "both shapes", data: `{"Framework": "X", "Requirements": [], "requirements": []}`, err: "both Requirements and requirements"},
		{name: "not an array", data: `{"Framework": "X", "Requirements": {}}`, err: `line 1: Requirements: expected an array, found "{"`},
		{name: "no framework", data: `{"Requirements": [{"Id": "1", "Checks": []}]}`, err: "Framework is missing"},
		{name: "framework not a string", data: `{"Framework": 3, "Requirements": [{"Id": "1", "Checks": []}]}`, err: "Framework: expected a string"},
		{name: "trailing data", data: `{"Framework": "X", "Requirements": [{"Id": "1", "Checks": []}]} {}`, err: "unexpected data after the top-level object"},
		{name: "nothing readable", data: `{"Framework": "X", "Requirements": [{"Checks": []}]}`, err: "no requirement could be read"},
		{name: "row defects", data: "{\"Framework\": \"X\", \"Requirements\": [\n{\"Id\": \"1\", \"Checks\": []},\n{\"Id\": \"2\", \"Checks\": \"s3_bucket\"},\n{\"Checks\": []},\n null,\n{\"Id\": \"3\", \"Checks\": [\"\"]},\n{\"Id\": \"4\", \"Attributes\": \"none\"},\n{\"Id\": \"5\", \"Attributes\": {\"Section\": \"S\"}}]}", problems: []string{
			"f.json:3: Requirements[1]: Checks: expected a list of check names, found a JSON string",
			"f.json:4: Requirements[2]: the requirement has no id",
			"f.json:5: Requirements[3]: the requirement has no id",
			"f.json:6: Requirements[4]: requirement 3 lists an empty check name",
			"f.json:7: Requirements[5]: Attributes: expected an attribute object or a list of them",
		}},
		{name: "current shape defects", data: "{\"framework\": \"X\", \"requirements\": [\n{\"id\": \"1\", \"checks\": {\"aws\": [\"s3_x\"]}},\n{\"id\": \"2\", \"checks\": [\"s3_x\"]}]}", problems: []string{
			"f.json:3: requirements[1]: checks: expected an object of check lists by provider, found a JSON array",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse("f.json", []byte(c.data))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || demarc.ErrorCode(err) != demarc.EInvalid {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range m.Problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, c.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.problems, "\n"))
			}
		})
	}
}

func TestChecksFile(t *testing.T) {
	m := parseReal(t, "ccc_aws.json")
	matched, err := Map(m, builtin(t), MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	imp := Framework(m, matched, FrameworkOptions{ID: "ccc-aws"})
	cf := imp.Checks()
	if cf.Framework != "ccc-aws" || len(cf.Requirements) != len(m.Requirements) {
		t.Fatalf("checks file: %s, %d requirements", cf.Framework, len(cf.Requirements))
	}
	left := 0
	for _, r := range cf.Requirements {
		if !r.InFramework {
			left++
		}
		if r.Manual != (len(r.Checks) == 0) {
			t.Errorf("%s: manual %v with checks %v", r.ID, r.Manual, r.Checks)
		}
	}
	if left != len(imp.Left) {
		t.Errorf("%d marked out of the framework, %d left out", left, len(imp.Left))
	}
}

func TestDefaultID(t *testing.T) {
	cases := []struct {
		m    Mapping
		want demarc.FrameworkID
	}{
		{Mapping{Framework: "CIS", Version: "3.0", Provider: "Azure"}, "cis-3.0-azure"},
		{Mapping{Framework: "CIS-Controls", Version: "8.1"}, "cis-controls-8.1"},
		{Mapping{Framework: "FedRamp-Moderate-Revision-4", Provider: "AWS"}, "fedramp-moderate-revision-4-aws"},
		{Mapping{Framework: "ISO27001", Version: "2022", Provider: "AWS"}, "iso27001-2022-aws"},
		{Mapping{Framework: "!!!"}, "prowler"},
	}
	for _, c := range cases {
		if got := DefaultID(&c.m); got != c.want {
			t.Errorf("DefaultID(%+v) = %s, want %s", c.m, got, c.want)
		}
	}
}
