package oscal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/defenseunicorns/go-oscal/src/pkg/validation"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/demarc-io/demarc/internal/realdata"
)

// Every schema go-oscal embeds compiles: a keyword the compiler does not
// know would fail here rather than pass values silently.
func TestEveryKnownSchemaCompiles(t *testing.T) {
	versions := knownVersions()
	for _, want := range []string{"1.0.4", "1.1.2", "1.1.3", "1.2.2"} {
		if !containsText(versions, want) {
			t.Errorf("known versions %v lack %s", versions, want)
		}
	}
	for _, v := range versions {
		set, err := schemaFor(v)
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		for _, m := range []Model{Catalog, Profile, ComponentDefinition, SystemSecurityPlan, AssessmentPlan, AssessmentResults, POAM} {
			if set.models[m] == nil {
				t.Errorf("%s: no %s model", v, m)
			}
		}
	}
}

// The schemas go-oscal embeds are NIST's official ones, byte for byte
// equal in content to those published for 1.1.2, 1.1.3 and 1.2.2.
func TestEmbeddedSchemasAreOfficial(t *testing.T) {
	for _, v := range []string{"1.1.2", "1.1.3", "1.2.2"} {
		file := realdata.Path(t, "oscal/schema/oscal_complete_schema-"+strings.ReplaceAll(v, ".", "-")+".json")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		official, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(official, embeddedSchema(t, v)) {
			t.Errorf("the embedded %s schema differs from %s", v, filepath.Base(file))
		}
	}
}

func embeddedSchema(t testing.TB, version string) map[string]any {
	t.Helper()
	v, err := validation.NewValidatorDesiredVersion(map[string]any{"catalog": map[string]any{}}, version)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.GetValidationParams()
	if err != nil {
		t.Fatal(err)
	}
	return p.SchemaData
}

func TestSchemaVersionChoice(t *testing.T) {
	cases := []struct{ declared, want, err string }{
		{"1.1.2", "1.1.2", ""},
		{"1.2.2", "1.2.2", ""},
		{"1.0.0", "1.0.4", ""},
		{"1.1.9", "1.1.3", ""},
		{"1.2.0", "1.2.1", ""},
		{"1.1.2-rc1", "1.1.2", ""},
		{"1.3.0", "", "OSCAL version 1.3.0 is not supported"},
		{"v1.1.2", "", "is not an OSCAL version"},
		{"1.1", "", "is not an OSCAL version"},
	}
	for _, c := range cases {
		got, note, err := schemaVersion(c.declared)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %q, %v; want error %q", c.declared, got, err, c.err)
			}
		case err != nil || got != c.want:
			t.Errorf("%s: got %q, %v; want %q", c.declared, got, err, c.want)
		case (got != c.declared) != (note != ""):
			t.Errorf("%s: note %q; a note is due exactly when the schema differs", c.declared, note)
		}
	}
}

// The hand-written patterns accept exactly what the schema's regular
// expressions accept.
func TestFastPatternsMatchRegexps(t *testing.T) {
	samples := []string{
		"", " ", "a", "ab", " a", "a ", "a b", "a\nb", "a\rb", "a\r", "\ta", "é", "éa", "_x", "x_", "1a", "a1", "a.b-c_d",
		".a", "-a", "a-", "a b", "ab\u00a0", "\u00a0ab", "名前", "a\x80b", "\xff", "a\u0660", "\u0660a",
		"3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3F2504E0-4F89-51D3-BA0C-0305E82C3301", "3f2504e0-4f89-61d3-9a0c-0305e82c3301",
		"3f2504e0-4f89-41d3-7a0c-0305e82c3301", "3f2504e0-4f89-41d3-9a0c-0305e82c330", "3f2504e04f8941d39a0c0305e82c3301xxxx",
		"g f2504e0-4f89-41d3-9a0c-0305e82c3301", "3f2504e0_4f89-41d3-9a0c-0305e82c3301",
	}
	r := rand.New(rand.NewSource(1))
	alphabet := []rune("ab1_.-  \n\t\r0f49-é名\u00a0")
	for i := 0; i < 150; i++ {
		n := r.Intn(8)
		s := make([]rune, n)
		for j := range s {
			s[j] = alphabet[r.Intn(len(alphabet))]
		}
		samples = append(samples, string(s))
	}
	for pattern, fast := range fastPatterns {
		re := regexp.MustCompile(pattern)
		for _, s := range samples {
			if got, want := fast(s), re.MatchString(s); got != want {
				t.Errorf("pattern %s on %q: got %v, want %v", pattern, s, got, want)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	cases := []struct {
		format, value string
		want          bool
	}{
		{"date-time", "2024-01-31T12:00:00Z", true},
		{"date-time", "2024-01-31t12:00:00.123456+02:00", true},
		{"date-time", "2024-12-31T23:59:60Z", true},
		{"date-time", "2024-12-31T22:59:60Z", false},
		{"date-time", "2024-02-30T12:00:00Z", false},
		{"date-time", "2024-01-31T12:00:00", false},
		{"date-time", "2024-01-31T24:00:00Z", false},
		{"date-time", "2024-01-31T12:00:00.Z", false},
		{"uri", "https://example.com/x", true},
		{"uri", "urn:isbn:0451450523", true},
		{"uri", "#ac-2", false},
		{"uri", "http://[::1]:8080/", true},
		{"uri", "http://::1/", false},
		{"uri-reference", "#ac-2", true},
		{"uri-reference", "../catalog.json", true},
		{"uri-reference", `a\b`, false},
		{"uri-reference", "%zz", false},
		{"email", "someone@example.com", true},
		{"email", "a.b+c@sub.example.org", true},
		{"email", "someone@[192.0.2.1]", true},
		{"email", "someone@[IPv6:2001:db8::1]", true},
		{"email", "someone@-bad-.com", false},
		{"email", ".someone@example.com", false},
		{"email", "no-at-sign", false},
	}
	for _, c := range cases {
		if got := formats[c.format].match(c.value); got != c.want {
			t.Errorf("%s %q: got %v, want %v", c.format, c.value, got, c.want)
		}
	}
}

// referenceValidator is a general-purpose JSON Schema engine on the same
// official schemas: the oracle the compiled schemas are tested against.
type referenceValidator struct {
	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
}

var reference = &referenceValidator{schemas: map[string]*jsonschema.Schema{}}

// model compiles, once, the schema of one model of one version.
func (r *referenceValidator) model(t testing.TB, version string, model Model) *jsonschema.Schema {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	key := version + " " + string(model)
	if s, ok := r.schemas[key]; ok {
		return s
	}
	doc := embeddedSchema(t, version)
	ref := ""
	for _, b := range doc["oneOf"].([]any) {
		branch := b.(map[string]any)
		if props := branch["properties"].(map[string]any); props[string(model)] != nil {
			ref = props[string(model)].(map[string]any)["$ref"].(string)
		}
	}
	const url = "https://oscal.test/schema.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url + ref)
	if err != nil {
		t.Fatalf("reference compile %s %s: %v", version, model, err)
	}
	r.schemas[key] = s
	return s
}

// failures returns the JSON pointers the reference engine finds fault
// with, none when the document is valid.
func (r *referenceValidator) failures(t testing.TB, version string, model Model, body any) []string {
	err := r.model(t, version, model).Validate(body)
	if err == nil {
		return []string{}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var leaves func(e *jsonschema.ValidationError)
	leaves = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			set["/"+string(model)+pointer(e.InstanceLocation)] = true
		}
		for _, c := range e.Causes {
			leaves(c)
		}
	}
	leaves(ve)
	return sortedSet(set)
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, tok := range tokens {
		b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ourFailures returns the pointers of the compiled schema's failures: an
// unknown field is a fault of the object holding it, as the reference
// engine reports it.
func ourFailures(t testing.TB, name string, data []byte) (*Document, []string) {
	doc, problems, err := Read(name, data)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, p := range problems {
		ptr := fieldPointer(p.Field)
		if strings.HasPrefix(p.Message, "unknown field") {
			ptr = ptr[:strings.LastIndex(ptr, "/")]
		}
		set[ptr] = true
	}
	return doc, sortedSet(set)
}

var indexStep = regexp.MustCompile(`\[(\d+)\]`)

// fieldPointer turns catalog.groups[0].id into /catalog/groups/0/id.
func fieldPointer(field string) string {
	f := indexStep.ReplaceAllString(field, ".$1")
	return "/" + strings.ReplaceAll(f, ".", "/")
}

// agree checks that the compiled schema and the reference engine find
// fault with exactly the same places of a document.
func agree(t *testing.T, name string, data []byte) {
	t.Helper()
	doc, ours := ourFailures(t, name, data)
	if doc.SchemaVersion == "" {
		// The declared version itself is broken: no schema applies, and
		// the one problem says so.
		if len(ours) != 1 || !strings.Contains(ours[0], "/metadata") {
			t.Errorf("%s: no schema chosen, problems at %v; want one at the metadata", name, ours)
		}
		return
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		t.Fatal(err)
	}
	theirs := reference.failures(t, doc.SchemaVersion, doc.Model, top[string(doc.Model)])
	if !reflect.DeepEqual(ours, theirs) {
		t.Errorf("%s: the compiled schema and the reference disagree\nours:   %v\ntheirs: %v", name, head(ours), head(theirs))
	}
}

func head(s []string) []string {
	if len(s) > 8 {
		return append(s[:8:8], fmt.Sprintf("… %d in all", len(s)))
	}
	return s
}

// The compiled schemas judge every public OSCAL document exactly as a
// general-purpose JSON Schema engine does, fault by fault.
func TestCompiledSchemaAgreesOnPublicDocuments(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(realdata.Path(t, "oscal"), "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob(filepath.Join(realdata.Path(t, "oscal"), "*", "*", "*.json"))
	for _, f := range append(files, examples...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, _, err := Read(f, data)
		if err != nil || doc.SchemaVersion == "" {
			continue // not an OSCAL model: nothing to compare
		}
		t.Run(filepath.Base(f), func(t *testing.T) { agree(t, f, data) })
	}
}

// Broken copies of small documents — a field removed, a value of the
// wrong type or form, an unknown field, an empty list — are judged alike
// by both, fault by fault.
func TestCompiledSchemaAgreesOnMutations(t *testing.T) {
	seeds := []string{"nist/examples/basic-catalog.json", "nist/examples/ssp-example.json", "nist/examples/example-component-definition.json",
		"nist/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json", "trestle/leveraged_ssp.json", "nist/examples/ifa_assessment-results-example.json"}
	r := rand.New(rand.NewSource(7))
	for _, seed := range seeds {
		data := readData(t, seed)
		for i := 0; i < 150; i++ {
			mutated, what := mutate(t, r, data)
			t.Run(fmt.Sprintf("%s/%d", filepath.Base(seed), i), func(t *testing.T) {
				agree(t, seed+" ("+what+")", mutated)
			})
		}
	}
}

// mutate breaks one random place of a JSON document.
func mutate(t *testing.T, r *rand.Rand, data []byte) ([]byte, string) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var places []func(any) any
	var names []string
	var collect func(v any, set func(any), path string)
	collect = func(v any, set func(any), path string) {
		places = append(places, func(nv any) any { set(nv); return nil })
		names = append(names, path)
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				k := k
				collect(e, func(nv any) {
					if nv == deleteMe {
						delete(x, k)
					} else {
						x[k] = nv
					}
				}, path+"/"+k)
			}
		case []any:
			for i, e := range x {
				i := i
				collect(e, func(nv any) { x[i] = nv }, path+"/"+strconv.Itoa(i))
			}
		}
	}
	root := doc.(map[string]any)
	for k, body := range root {
		collect(body, func(nv any) { root[k] = nv }, "/"+k)
	}
	i := 1 + r.Intn(len(places)-1)
	replacements := []any{deleteMe, nil, json.Number("42"), json.Number("-1.5"), "", " padded ", "not-a-uuid", "line\nbreak", true,
		[]any{}, map[string]any{}, map[string]any{"zz-unknown": "x"}, "2024-13-45T99:00:00Z", "名前", "ac-2"}
	nv := replacements[r.Intn(len(replacements))]
	places[i](nv)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out, fmt.Sprintf("%s := %v", names[i], nv)
}

// deleteMe asks a mutation to delete an object member.
var deleteMe = &struct{ name string }{"delete"}
