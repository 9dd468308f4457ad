// Package systemfile reads system files — the YAML description of a
// customer's workload — and checks them against a library: every service,
// area, component and framework they name must exist.
package systemfile

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/yamlfile"
	"github.com/demarc-io/demarc/library"
)

//go:embed system.schema.json
var schemaJSON string

// SchemaJSON returns the JSON Schema of system files, for editors.
func SchemaJSON() string { return schemaJSON }

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

func systemSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		schema, schemaErr = yamlfile.CompileSchema("urn:demarc:schema:system", schemaJSON)
	})
	return schema, schemaErr
}

// MaxSize is the largest system file demarc reads.
const MaxSize = 8 << 20

// Load reads, parses and checks the system file at path against lib.
func Load(path string, lib *library.Library) (*demarc.System, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	sys, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return sys, Check(sys, lib).Err()
}

func readFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: fmt.Sprintf("read system file %s", path), Err: unwrapPathError(err)}
	}
	if info.IsDir() {
		return nil, demarc.Errorf(demarc.EInvalid, "%s is a directory; expected a system file", path)
	}
	if info.Size() > MaxSize {
		return nil, demarc.Errorf(demarc.EInvalid, "%s is %d bytes; system files are limited to %d", path, info.Size(), MaxSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: fmt.Sprintf("read system file %s", path), Err: unwrapPathError(err)}
	}
	return data, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Parse parses a system file given as YAML (or JSON, a subset of YAML) and
// checks its shape. name is used in error messages. It does not check
// references; call Check for that.
func Parse(name string, data []byte) (*demarc.System, error) {
	doc, err := yamlfile.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return fromDoc(doc)
}

func fromDoc(doc *yamlfile.Doc) (*demarc.System, error) {
	sch, err := systemSchema()
	if err != nil {
		return nil, err
	}
	if ps := doc.Validate(sch); len(ps) > 0 {
		return nil, ps.Err()
	}
	var sys demarc.System
	if err := doc.Decode(&sys); err != nil {
		return nil, err
	}
	setPositions(&sys, doc)
	return &sys, nil
}

// Stream reads many systems from one multi-document YAML stream (documents
// separated by "---"), one at a time: an estate of thousands of systems
// is never held in memory at once.
type Stream struct {
	s *yamlfile.Stream
}

// NewStream returns a stream of systems read from r; name is used in
// error messages, whose lines count from the start of the stream.
func NewStream(name string, r io.Reader) *Stream {
	return &Stream{s: yamlfile.NewStream(name, r)}
}

// Next returns the next system, io.EOF after the last, or an error for a
// document that is not a valid system file. It does not check references.
func (s *Stream) Next() (*demarc.System, error) {
	doc, err := s.s.Next()
	if err != nil {
		return nil, err
	}
	return fromDoc(doc)
}

func setPositions(sys *demarc.System, doc *yamlfile.Doc) {
	sys.Pos = doc.Pos()
	for i := range sys.Components {
		sys.Components[i].Pos = doc.Pos("components", i)
	}
	for i := range sys.Teams {
		sys.Teams[i].Pos = doc.Pos("teams", i)
	}
	for i := range sys.Overrides {
		sys.Overrides[i].Pos = doc.Pos("overrides", i)
	}
	for i := range sys.Assumptions {
		sys.Assumptions[i].Pos = doc.Pos("assumptions", i)
	}
}
