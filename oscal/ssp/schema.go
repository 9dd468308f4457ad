package ssp

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/defenseunicorns/go-oscal/src/pkg/validation"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/demarc-io/demarc"
)

// Definitions of the OSCAL complete schema that documents are checked
// against.
const (
	defSSP                   = "oscal-complete-oscal-ssp:system-security-plan"
	defMetadata              = "oscal-complete-oscal-metadata:metadata"
	defControlImplementation = "oscal-complete-oscal-ssp:control-implementation"
	defByComponent           = "oscal-complete-oscal-ssp:by-component"
)

// schemaSet holds one OSCAL version's schema, as go-oscal embeds it (the
// files NIST publishes), with its compiled definitions.
type schemaSet struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
	err      error
}

var (
	schemasMu sync.Mutex
	schemas   = map[string]*schemaSet{}
)

func schemaFor(version string) *schemaSet {
	schemasMu.Lock()
	defer schemasMu.Unlock()
	if s := schemas[version]; s != nil {
		return s
	}
	s := &schemaSet{compiled: map[string]*jsonschema.Schema{}}
	schemas[version] = s
	// go-oscal hands out its embedded schema only through a validator,
	// which wants a document to size up; any document of the model does.
	v, err := validation.NewValidatorDesiredVersion(map[string]any{"system-security-plan": map[string]any{}}, version)
	if err != nil {
		s.err = err
		return s
	}
	params, err := v.GetValidationParams()
	if err != nil {
		s.err = err
		return s
	}
	s.compiler = jsonschema.NewCompiler()
	if err := s.compiler.AddResource(schemaURL(version), params.SchemaData); err != nil {
		s.err = err
	}
	return s
}

func schemaURL(version string) string {
	return "https://raw.githubusercontent.com/usnistgov/OSCAL/v" + version + "/json/schema/oscal_complete_schema.json"
}

// definition returns the compiled schema of one definition.
func (s *schemaSet) definition(version, def string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if sch := s.compiled[def]; sch != nil {
		return sch, nil
	}
	sch, err := s.compiler.Compile(schemaURL(version) + "#/definitions/" + def)
	if err != nil {
		return nil, err
	}
	s.compiled[def] = sch
	return sch, nil
}

// checkSchema validates the value at base inside root against one
// definition of the OSCAL schema of version and returns its defects.
func checkSchema(doc, version, def string, root any, base []string) ([]Defect, error) {
	sch, err := schemaFor(version).definition(version, def)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.EInternal, Message: "cannot compile the OSCAL " + version + " schema", Err: err}
	}
	verr := sch.Validate(at(root, base))
	if verr == nil {
		return nil, nil
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return nil, &demarc.Error{Code: demarc.EInternal, Message: "OSCAL schema validation failed", Err: verr}
	}
	var leaves []*jsonschema.ValidationError
	collect(ve, &leaves)
	c := schemaCheck{doc: doc, root: root, base: base, byPath: map[string]int{}}
	for _, l := range leaves {
		c.add(l)
	}
	return c.out, nil
}

func collect(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collect(c, out)
	}
}

type schemaCheck struct {
	doc    string
	root   any
	base   []string
	out    []Defect
	byPath map[string]int
}

var printer = message.NewPrinter(language.English)

// add turns one schema error into defects. Alternatives that fail at the
// same place (anyOf) become one defect that lists what each expected.
func (c *schemaCheck) add(e *jsonschema.ValidationError) {
	loc := append(append([]string(nil), c.base...), e.InstanceLocation...)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			l := append(append([]string(nil), loc...), name)
			c.put(l, "no field "+quote(name)+" here: the model does not define it"+prototypeHint(name))
		}
		return
	case *kind.Required:
		for _, name := range k.Missing {
			l := append(append([]string(nil), loc...), name)
			c.putValue(l, "", "the required field "+quote(name))
		}
		return
	}
	c.put(loc, expectation(e.ErrorKind))
}

func (c *schemaCheck) put(loc []string, expected string) {
	c.putValue(loc, show(at(c.root, loc)), expected)
}

func (c *schemaCheck) putValue(loc []string, value, expected string) {
	path := jsonPath(loc, c.root)
	if i, ok := c.byPath[path]; ok {
		if !strings.Contains(c.out[i].Expected, expected) {
			c.out[i].Expected += ", or " + expected
		}
		return
	}
	c.byPath[path] = len(c.out)
	c.out = append(c.out, Defect{Document: c.doc, Path: path, Value: value, Expected: expected, Kind: DefectSchema})
}

func quote(s string) string { return `"` + s + `"` }

// prototypeHint explains fields that NIST's shared-responsibility
// prototype adds.
func prototypeHint(field string) string {
	switch field {
	case "provided", "responsibilities":
		return " (NIST's shared-responsibility prototype puts it directly on the by-component; OSCAL expects it inside export)"
	case "exportable":
		return " (a flag of NIST's shared-responsibility prototype; in OSCAL, what sits in export is exported)"
	}
	return ""
}

// Patterns of OSCAL datatypes, named in words.
var knownPatterns = []struct {
	re   *regexp.Regexp
	name string
}{
	{regexp.MustCompile(`^\^\[0-9A-Fa-f\]\{8\}`), "an RFC 4122 version 4 or 5 UUID, such as 3f2b6a1c-8d4e-4f0a-9b1c-2d3e4f5a6b7c"},
	{regexp.MustCompile(`^\^\(\\p\{L\}\|_\)`), "a token: a letter or _, then letters, digits, '.', '-' or '_'"},
	{regexp.MustCompile(`^\^\\S\(\.\*\\S\)\?\$$`), "non-empty text without leading or trailing white space"},
	{regexp.MustCompile(`T\(2\[0-3\]`), "a date and time with a time zone, such as 2024-05-01T12:00:00Z"},
	{regexp.MustCompile(`^\^\(\(\(2000`), "a date, such as 2024-05-01"},
}

func expectation(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Pattern:
		for _, p := range knownPatterns {
			if p.re.MatchString(k.Want) {
				return p.name
			}
		}
		return "text matching " + k.Want
	case *kind.Type:
		return "a value of type " + strings.Join(k.Want, " or ")
	case *kind.Enum:
		var vals []string
		for _, v := range k.Want {
			vals = append(vals, fmt.Sprint(v))
		}
		sort.Strings(vals)
		return "one of " + strings.Join(vals, ", ")
	case *kind.Format:
		return "a valid " + k.Want
	case *kind.MinItems:
		return fmt.Sprintf("at least %d item(s)", k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("at least %d character(s)", k.Want)
	}
	return k.LocalizedString(printer)
}
