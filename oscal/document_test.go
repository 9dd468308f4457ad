package oscal

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// The model and the declared version of every public document, and the
// schema each is checked against.
func TestReadDetectsModelAndVersion(t *testing.T) {
	cases := []struct {
		file          string
		model         Model
		version       string
		schemaVersion string
	}{
		{"nist/NIST_SP-800-53_rev5_catalog_2021.json", Catalog, "1.0.0", "1.0.4"},
		{"nist/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json", Profile, "1.1.2", "1.1.2"},
		{"nist/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json", Catalog, "1.1.2", "1.1.2"},
		{"nist/examples/ssp-example.yaml", SystemSecurityPlan, "1.1.2", "1.1.2"},
		{"nist/examples/example-component-definition.json", ComponentDefinition, "1.1.2", "1.1.2"},
		{"nist/examples/ifa_assessment-results-example.json", AssessmentResults, "1.1.2", "1.1.2"},
		{"fedramp/FedRAMP_rev5_LI-SaaS-baseline_profile.json", Profile, "1.0.4", "1.0.4"},
		{"fedramp/FedRAMP-SSP-OSCAL-Template.json", SystemSecurityPlan, "1.0.4", "1.0.4"},
		{"trestle/leveraged_ssp.json", SystemSecurityPlan, "1.0.0", "1.0.4"},
		{"prototype-srm/example.ssp.csp.json", SystemSecurityPlan, "1.1.1", "1.1.1"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data := readData(t, c.file)
			doc, _, err := Read(c.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Model != c.model || doc.Version != c.version || doc.SchemaVersion != c.schemaVersion {
				t.Errorf("got %s %s (schema %s), want %s %s (schema %s)", doc.Model, doc.Version, doc.SchemaVersion, c.model, c.version, c.schemaVersion)
			}
			if c.version != c.schemaVersion && !containsText(doc.Notes, "checked against "+c.schemaVersion) {
				t.Errorf("notes %q do not say which schema stood in for %s", doc.Notes, c.version)
			}
		})
	}
}

func readData(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(realdata.Path(t, "oscal/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func containsText(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// The same document in JSON and in YAML decodes to the same Go value.
func TestJSONAndYAMLDecodeAlike(t *testing.T) {
	j, err := Parse("ssp-example.json", readData(t, "nist/examples/ssp-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := Parse("ssp-example.yaml", readData(t, "nist/examples/ssp-example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(j.OSCAL, y.OSCAL) {
		t.Error("the JSON and YAML forms of NIST's SSP example decode differently")
	}
	if got := len(j.OSCAL.SystemSecurityPlan.SystemImplementation.Components); got != 6 {
		t.Errorf("decoded %d components, want 6", got)
	}
}

// Every way a document can be broken gives one clear problem at the right
// line, never a panic.
func TestParseRejectsBadDocuments(t *testing.T) {
	const head = `{"catalog": {"uuid": "35443dba-520d-4b2a-8c5d-0e0203e59b90", "metadata": {"title": "T", "last-modified": "2024-05-01T12:00:00Z", "version": "1", "oscal-version": `
	cases := []struct {
		name, file, data string
		line             int
		field, want      string
	}{
		{"truncated JSON", "c.json", head + `"1.1.2"}`, 1, "catalog", "the document ends too early"},
		{"malformed JSON", "c.json", "{\n  \"catalog\": {,}\n}", 2, "catalog", "invalid JSON at column"},
		{"malformed YAML", "c.yaml", "catalog: x\n metadata: y\n", 2, "", "invalid YAML: mapping values are not allowed in this context"},
		{"empty YAML", "c.yaml", "", 0, "", "the file is empty"},
		{"two YAML documents", "c.yaml", "catalog: {}\n---\nprofile: {}\n", 2, "", "a second YAML document follows"},
		{"duplicate JSON key", "c.json", `{"catalog": {"uuid": "a", "uuid": "b"}}`, 1, "catalog.uuid", `duplicate member name "uuid"`},
		{"duplicate YAML key", "c.yaml", "catalog:\n  uuid: a\n  uuid: b\n", 3, "catalog", `duplicate key "uuid"`},
		{"array at the top", "c.json", `[1, 2]`, 1, "", "got array at the top of the file"},
		{"no model", "c.json", `{"$schema": "x.json"}`, 1, "", "no OSCAL model"},
		{"several models", "c.json", `{"catalog": {}, "profile": {}}`, 1, "", `several top-level members "catalog", "profile"`},
		{"unknown model", "c.json", "{\n\"shared-responsibility\": {}}", 2, "shared-responsibility", `unknown OSCAL model "shared-responsibility"`},
		{"model not an object", "c.json", `{"catalog": []}`, 1, "catalog", "got array; expected an object"},
		{"no oscal-version", "c.json", `{"catalog": {"metadata": {"title": "T"}}}`, 1, "catalog.metadata", "missing metadata.oscal-version"},
		{"version is no version", "c.json", head + `"oscal-1.0.4"}}}`, 1, "catalog.metadata.oscal-version", `"oscal-1.0.4" is not an OSCAL version`},
		{"unsupported version", "c.json", head + `"2.0.0"}}}`, 1, "catalog.metadata.oscal-version", "OSCAL version 2.0.0 is not supported; known versions: 1.0.4"},
		{"model of a later release", "c.json", `{"mapping-collection": {"metadata": {"oscal-version": "1.1.2"}}}`, 1, "mapping-collection", `OSCAL 1.1.2 has no "mapping-collection" model`},
		{"unknown field", "c.json", head + "\"1.1.2\", \"titel\": \"x\"}}}", 1, "catalog.metadata.titel", `unknown field "titel" (did you mean "title"?)`},
		{"field in the wrong place", "c.json", head + "\"1.1.2\"}, \"oscal-version\": \"1.1.2\"}}", 1, "catalog.oscal-version", `unknown field "oscal-version" (it belongs inside "metadata")`},
		{"bad uuid", "c.yaml", "catalog:\n  uuid: not-a-uuid\n  metadata: {title: T, last-modified: 2024-05-01T12:00:00Z, version: '1', oscal-version: 1.1.2}\n", 2, "catalog.uuid", `got "not-a-uuid"; expected an RFC 4122 version 4 or 5 UUID`},
		{"number for a string", "c.yaml", "catalog:\n  uuid: 35443dba-520d-4b2a-8c5d-0e0203e59b90\n  metadata: {title: T, last-modified: 2024-05-01T12:00:00Z, version: 1.0, oscal-version: 1.1.2}\n", 3, "catalog.metadata.version", "got number 1.0; expected text without leading or trailing whitespace"},
		{"missing required field", "c.json", `{"catalog": {"metadata": {"title": "T", "last-modified": "2024-05-01T12:00:00Z", "version": "1", "oscal-version": "1.1.2"}}}`, 1, "catalog", `missing required field "uuid"`},
		{"empty list", "c.json", head + "\"1.1.2\"}, \"groups\": []}}", 1, "catalog.groups", "got 0 entries; expected at least 1"},
		{"bad date", "c.json", `{"catalog": {"uuid": "35443dba-520d-4b2a-8c5d-0e0203e59b90", "metadata": {"title": "T", "last-modified": "yesterday", "version": "1", "oscal-version": "1.1.2"}}}`, 1, "catalog.metadata.last-modified", `got "yesterday"; expected a date and time with a time zone`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.file, []byte(c.data))
			var ps demarc.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("got %v, want problems", err)
			}
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Errorf("error code %q, want %q", demarc.ErrorCode(err), demarc.EInvalid)
			}
			p := ps[0]
			if p.Pos.File != c.file || p.Pos.Line != c.line || p.Field != c.field || !strings.Contains(p.Message, c.want) {
				t.Errorf("got %s (line %d, field %q)\nwant line %d, field %q, message containing %q", p, p.Pos.Line, p.Field, c.line, c.field, c.want)
			}
		})
	}
}

// A patch release without a published schema is checked against the
// closest one, and the document says which.
func TestUnknownPatchReleaseUsesClosestSchema(t *testing.T) {
	data := []byte(`{"catalog": {"uuid": "35443dba-520d-4b2a-8c5d-0e0203e59b90", "metadata": {"title": "T", "last-modified": "2024-05-01T12:00:00Z", "version": "1", "oscal-version": "1.1.9"}}}`)
	doc, err := Parse("c.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != "1.1.3" || !containsText(doc.Notes, "checked against 1.1.3") {
		t.Errorf("schema %s, notes %q; want 1.1.3 and a note", doc.SchemaVersion, doc.Notes)
	}
}

// A member the official schema allows but go-oscal's types lack is noted
// and left out, not an error: NIST's own example uses one.
func TestGapInGoTypesIsNoted(t *testing.T) {
	doc, err := Parse("ar.json", readData(t, "nist/examples/ifa_assessment-results-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "assessment-results.results[0].local-definitions.tasks: valid OSCAL the Go types cannot hold"
	if !containsText(doc.Notes, want) {
		t.Errorf("notes %q, want one containing %q", doc.Notes, want)
	}
	if doc.OSCAL.AssessmentResults == nil || len(doc.OSCAL.AssessmentResults.Results) != 1 {
		t.Error("the rest of the document was not decoded")
	}
}

// Read returns what it can of a defective document with every problem.
func TestReadKeepsDefectiveDocuments(t *testing.T) {
	doc, problems, err := Read("msp.json", readData(t, "prototype-srm/example.ssp.msp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 {
		t.Fatal("no problems reported for the prototype SSP")
	}
	ssp := doc.OSCAL.SystemSecurityPlan
	if ssp == nil || len(ssp.ControlImplementation.ImplementedRequirements) != 44 {
		t.Errorf("the readable part of the document was not decoded")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.json")
	if demarc.ErrorCode(err) != demarc.ENotFound || !strings.Contains(err.Error(), "testdata/no-such-file.json") {
		t.Errorf("got %v, want a not-found error naming the file", err)
	}
}
