package oscal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	oscaltypes "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"

	"github.com/demarc-io/demarc"
)

// Document is an OSCAL document read from JSON or YAML.
//
// Its content is decoded into go-oscal's types for OSCAL 1.2.2, the newest
// release, which hold the fields of earlier releases too. What a document
// may contain is decided by the official schema of its own release, which
// every document is checked against first: a member that schema does not
// allow is a problem, never dropped. A member the schema allows but the Go
// types lack (a gap in the generated types) is left out of OSCAL and named
// in Notes.
type Document struct {
	// Name is the file the document came from, as given.
	Name string
	// Model is the document's top-level key: catalog, profile …
	Model Model
	// Version is the oscal-version the document declares.
	Version string
	// SchemaVersion is the release whose schema checked the document: the
	// declared one, or the closest known when that has no schema here.
	SchemaVersion string
	// Notes are remarks that are not defects: the schema chosen for an
	// unknown patch release, fields the Go types cannot hold.
	Notes []string
	// OSCAL is the decoded document; the field named by Model is set.
	OSCAL *oscaltypes.OscalModels

	root *value
}

// Load reads and checks the OSCAL document at path; see Parse. A file that
// cannot be read is an ENotFound error.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "cannot read OSCAL document " + path, Err: unwrapPathError(err)}
	}
	return Parse(path, data)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse reads an OSCAL document and checks it against the official schema
// of its declared version. name is used in messages and decides nothing
// but the fallback format: JSON is recognised by its leading '{', anything
// else is read as YAML.
//
// Any defect — malformed JSON or YAML, no or several models, an unknown
// model or version, a schema violation such as an unknown member, a value
// the Go types cannot hold — is an *demarc.Error with code EInvalid
// wrapping demarc.Problems, each with its line and the field path of the
// offending value.
func Parse(name string, data []byte) (*Document, error) {
	doc, problems, err := Read(name, data)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problems.Err()
	}
	return doc, nil
}

// Read is Parse for documents that may be defective: it returns the
// document as far as it can be read together with every problem found.
// The error is set only when nothing can be read at all: malformed JSON or
// YAML, or a top level that is not an object.
//
// With problems, OSCAL holds what the Go types could take, fields they do
// not know left out; for a document whose model is unknown it is empty.
func Read(name string, data []byte) (*Document, demarc.Problems, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var root *value
	var err error
	if looksLikeJSON(name, data) {
		root, err = parseJSON(name, data)
	} else {
		root, err = parseYAML(name, data)
	}
	if err != nil {
		return nil, nil, err
	}
	if root.kind != kindObject {
		return nil, nil, problemAt(name, int(root.line), "", fmt.Sprintf("got %s at the top of the file; expected an object holding one OSCAL model such as \"catalog\"", root.kind))
	}
	doc := &Document{Name: name, root: root}
	problems := doc.check()
	return doc, append(problems, doc.decodeTyped(len(problems) == 0)...), nil
}

func looksLikeJSON(name string, data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) > 0 {
		return t[0] == '{' || t[0] == '['
	}
	return strings.EqualFold(filepath.Ext(name), ".json")
}

// check finds the model and version and validates against the schema.
func (d *Document) check() demarc.Problems {
	body, problem := d.findModel()
	if problem != nil {
		return demarc.Problems{*problem}
	}
	if body.kind != kindObject {
		return demarc.Problems{d.problem(body, string(d.Model), fmt.Sprintf("got %s; expected an object", show(body)))}
	}
	meta := body.get("metadata")
	ver := meta.get("oscal-version")
	if ver == nil || ver.kind != kindString {
		at := body
		if meta != nil {
			at = meta
		}
		return demarc.Problems{d.problem(at, string(d.Model)+".metadata", "missing metadata.oscal-version; expected the OSCAL release the document follows, such as \"1.1.2\"")}
	}
	d.Version = ver.str
	version, note, err := schemaVersion(ver.str)
	if err != nil {
		return demarc.Problems{d.problem(ver, string(d.Model)+".metadata.oscal-version", err.Error())}
	}
	if note != "" {
		d.Notes = append(d.Notes, note)
	}
	set, err := schemaFor(version)
	if err != nil {
		return demarc.Problems{d.problem(ver, "", err.Error())}
	}
	d.SchemaVersion = version
	model := set.models[d.Model]
	if model == nil {
		return demarc.Problems{d.problem(body, string(d.Model), fmt.Sprintf("OSCAL %s has no %q model; expected one of %s", version, d.Model, quoteList(set.modelNames(), 12)))}
	}
	c := schemaChecker{}
	if dir := d.root.get("$schema"); dir != nil && set.directive != nil {
		c.path = []pathStep{{key: "$schema", index: -1}}
		c.check(set.directive, dir)
	}
	c.path = []pathStep{{key: string(d.Model), index: -1}}
	c.check(model, body)
	return d.problems(c.fails)
}

// findModel returns the model's object and sets Model, or a problem when
// the top level does not hold exactly one model.
func (d *Document) findModel() (*value, *demarc.Problem) {
	var names []string
	var body *value
	for i, k := range d.root.keys {
		if k == "$schema" {
			continue
		}
		names = append(names, k)
		body = d.root.items[i]
	}
	models := "catalog, profile, component-definition, system-security-plan, assessment-plan, assessment-results, plan-of-action-and-milestones or mapping-collection"
	switch len(names) {
	case 0:
		p := d.problem(d.root, "", "no OSCAL model; expected a top-level "+models)
		return nil, &p
	case 1:
		d.Model = Model(names[0])
		if !knownModel(d.Model) {
			p := d.problem(body, names[0], fmt.Sprintf("unknown OSCAL model %q; expected %s", names[0], models))
			return body, &p
		}
		return body, nil
	}
	p := d.problem(d.root, "", fmt.Sprintf("several top-level members %s; expected exactly one OSCAL model", quoteList(names, 8)))
	return nil, &p
}

func knownModel(m Model) bool {
	switch m {
	case Catalog, Profile, ComponentDefinition, SystemSecurityPlan, AssessmentPlan, AssessmentResults, POAM, MappingCollection:
		return true
	}
	return false
}

func (d *Document) problem(v *value, field, msg string) demarc.Problem {
	return demarc.Problem{Pos: demarc.Position{File: d.Name, Line: int(v.line)}, Field: field, Message: msg}
}

func (d *Document) problems(fs []failure) demarc.Problems {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].line < fs[j].line })
	ps := make(demarc.Problems, 0, len(fs))
	for _, f := range fs {
		ps = append(ps, demarc.Problem{Pos: demarc.Position{File: d.Name, Line: f.line}, Field: f.path, Message: f.msg})
	}
	return ps
}

// decodeTyped fills OSCAL from the parsed values. A member the schema
// accepted but the Go types lack is a gap in the types, not a defect of
// the document: it is noted and left out. With schema problems already
// reported, what the types cannot hold raises nothing more.
func (d *Document) decodeTyped(schemaValid bool) demarc.Problems {
	var dec typedDecoder
	d.OSCAL = &oscaltypes.OscalModels{}
	field, ok := structFields(reflect.TypeFor[oscaltypes.OscalModels]())[string(d.Model)]
	if body := d.root.get(string(d.Model)); body != nil && ok {
		dec.path = []pathStep{{key: string(d.Model), index: -1}}
		dec.decode(body, reflect.ValueOf(d.OSCAL).Elem().Field(field))
	}
	if !schemaValid {
		return nil
	}
	for _, f := range dec.unknown {
		d.Notes = append(d.Notes, fmt.Sprintf("%s: valid OSCAL the Go types cannot hold; it is left out when the document is imported", f.path))
	}
	ps := make(demarc.Problems, 0, len(dec.wrong))
	for _, f := range dec.wrong {
		ps = append(ps, demarc.Problem{Pos: demarc.Position{File: d.Name, Line: f.line}, Field: f.path, Message: "cannot decode: " + f.msg})
	}
	return ps
}

// parseTime reads every date-time form the OSCAL schemas accept,
// including a lower-case 't' or 'z', a leap second and, for OSCAL 1.0, a
// date-time without a zone (read as UTC).
func parseTime(s string) (time.Time, error) {
	if len(s) > 10 && (s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	if len(s) >= 19 && s[17:19] == "60" {
		s = s[:17] + "59" + s[19:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date-time; expected a form such as 2024-01-31T12:00:00Z", s)
}
