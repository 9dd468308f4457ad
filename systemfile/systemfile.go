// Package systemfile reads system files — the YAML description of a
// customer's workload — and checks them against a library: every service,
// area, component and framework they name must exist.
package systemfile

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
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
	if err := loadAttestationFiles(sys, path); err != nil {
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

// Stream cuts a multi-document YAML stream (documents separated by "---"
// lines) into documents without parsing them, so that an estate of
// thousands of systems is never held in memory at once and the documents
// can be parsed in parallel.
type Stream struct {
	name string
	r    *bufio.Reader
	line int
	done bool
}

// Document is one system file cut from a stream, with the line it starts on.
type Document struct {
	Name string
	Line int
	Data []byte
}

// NewStream returns a stream of documents read from r; name is used in
// error messages, whose lines count from the start of the stream.
func NewStream(name string, r io.Reader) *Stream {
	return &Stream{name: name, r: bufio.NewReaderSize(r, 1<<16)}
}

// Next returns the next non-empty document, or io.EOF after the last.
func (s *Stream) Next() (*Document, error) {
	for !s.done {
		doc, err := s.cut()
		if err != nil {
			return nil, err
		}
		if doc != nil && hasContent(doc.Data) {
			return doc, nil
		}
	}
	return nil, io.EOF
}

// cut reads up to the next document marker.
func (s *Stream) cut() (*Document, error) {
	doc := &Document{Name: s.name, Line: s.line + 1}
	for {
		line, err := s.r.ReadBytes('\n')
		if len(line) > 0 {
			s.line++
			if isMarker(line) {
				if bytes.HasPrefix(line, []byte("---")) {
					return doc, nil
				}
				continue // "..." ends a document; the next starts after it
			}
			doc.Data = append(doc.Data, line...)
		}
		if errors.Is(err, io.EOF) {
			s.done = true
			return doc, nil
		}
		if err != nil {
			return nil, &demarc.Error{Code: demarc.EInvalid, Message: "read " + s.name, Err: err}
		}
	}
}

func isMarker(line []byte) bool {
	t := bytes.TrimRight(line, "\r\n")
	return bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) || bytes.Equal(t, []byte("..."))
}

func hasContent(data []byte) bool {
	for _, l := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// Parse parses the document as a system file; lines in errors count from
// the start of the stream.
func (d *Document) Parse() (*demarc.System, error) {
	doc, err := yamlfile.ParseAt(d.Name, d.Data, d.Line)
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
	for i := range sys.Attestations {
		sys.Attestations[i].Pos = doc.Pos("attestations", i)
	}
	for i := range sys.Contracts {
		sys.Contracts[i].Pos = doc.Pos("contracts", i)
	}
}
