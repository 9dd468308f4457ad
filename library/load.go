package library

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/yamlfile"
)

//go:embed content
var content embed.FS

//go:embed schema/library.schema.json
var librarySchemaJSON string

// SchemaJSON returns the JSON Schema of library files, for editors.
func SchemaJSON() string { return librarySchemaJSON }

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

func librarySchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		schema, schemaErr = yamlfile.CompileSchema("urn:demarc:schema:library", librarySchemaJSON)
	})
	return schema, schemaErr
}

// File is the content of one library file.
type File struct {
	Areas       []demarc.Area         `yaml:"areas"`
	Models      []demarc.ServiceModel `yaml:"models"`
	Providers   []demarc.Provider     `yaml:"providers"`
	Frameworks  []demarc.Framework    `yaml:"frameworks"`
	Incidents   []demarc.IncidentType `yaml:"incidents"`
	Regulations []demarc.Regulation   `yaml:"regulations"`
	Features    []demarc.FeatureInfo  `yaml:"features"`
}

// Load returns the built-in content extended by the given user library
// files, in order; a later entry replaces an earlier one with the same id.
// Errors are *demarc.Error values with code EInvalid that list every
// problem with its file and line.
func Load(paths []string) (*Library, error) {
	files, err := builtinFiles()
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, &demarc.Error{Code: demarc.ENotFound, Message: fmt.Sprintf("read library file %s", p), Err: err}
		}
		f, err := ParseFile(p, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return build(files)
}

var (
	builtinFilesOnce sync.Once
	builtinParsed    []*File
	builtinParseErr  error
)

func builtinFiles() ([]*File, error) {
	builtinFilesOnce.Do(func() {
		builtinParsed, builtinParseErr = parseBuiltin()
	})
	out := make([]*File, len(builtinParsed))
	copy(out, builtinParsed)
	return out, builtinParseErr
}

func parseBuiltin() ([]*File, error) {
	var names []string
	err := fs.WalkDir(content, "content", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list built-in content: %w", err)
	}
	sort.Slice(names, func(i, j int) bool { return contentOrder(names[i]) < contentOrder(names[j]) })
	var files []*File
	for _, name := range names {
		data, err := content.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read built-in %s: %w", name, err)
		}
		f, err := ParseFile("library/"+name, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// contentOrder loads areas first, then models, providers and frameworks.
func contentOrder(name string) string {
	switch {
	case strings.HasSuffix(name, "areas.yaml"):
		return "0" + name
	case strings.HasSuffix(name, "models.yaml"):
		return "1" + name
	}
	return "2" + name
}

// ParseFile parses and schema-checks one library file and records the
// position of every entry. It does not check references between entries;
// Load does that for the whole set.
func ParseFile(name string, data []byte) (*File, error) {
	sch, err := librarySchema()
	if err != nil {
		return nil, err
	}
	doc, err := yamlfile.Parse(name, data)
	if err != nil {
		return nil, err
	}
	if ps := doc.Validate(sch); len(ps) > 0 {
		return nil, ps.Err()
	}
	var f File
	if err := doc.Decode(&f); err != nil {
		return nil, err
	}
	f.setPositions(doc)
	return &f, nil
}

func (f *File) setPositions(doc *yamlfile.Doc) {
	for i := range f.Areas {
		f.Areas[i].Pos = doc.Pos("areas", i)
	}
	for i := range f.Models {
		m := &f.Models[i]
		m.Pos = doc.Pos("models", i)
		setRulePositions(doc, m.Defaults, "models", i, "defaults")
	}
	for i := range f.Providers {
		p := &f.Providers[i]
		p.Pos = doc.Pos("providers", i)
		setRulePositions(doc, p.Statement, "providers", i, "statement")
		for j := range p.Services {
			s := &p.Services[j]
			s.Pos = doc.Pos("providers", i, "services", j)
			s.Provider = p.ID
			setRulePositions(doc, s.Overrides, "providers", i, "services", j, "overrides")
		}
	}
	for i := range f.Incidents {
		f.Incidents[i].Pos = doc.Pos("incidents", i)
	}
	for i := range f.Regulations {
		f.Regulations[i].Pos = doc.Pos("regulations", i)
	}
	for i := range f.Features {
		f.Features[i].Pos = doc.Pos("features", i)
	}
	for i := range f.Frameworks {
		fw := &f.Frameworks[i]
		fw.Pos = doc.Pos("frameworks", i)
		for j := range fw.Controls {
			fw.Controls[j].Pos = doc.Pos("frameworks", i, "controls", j)
		}
	}
}

func setRulePositions(doc *yamlfile.Doc, rules []demarc.Rule, path ...any) {
	for k := range rules {
		rules[k].Pos = doc.Pos(append(path, k)...)
	}
}

// Extend returns the built-in content extended by already parsed files,
// in order. It is Load for content that does not come from disk.
func Extend(files ...*File) (*Library, error) {
	base, err := builtinFiles()
	if err != nil {
		return nil, err
	}
	return build(append(base, files...))
}
