package systemfile

import (
	_ "embed"
	"path/filepath"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/yamlfile"
)

//go:embed attestations.schema.json
var registerSchemaJSON string

// RegisterSchemaJSON returns the JSON Schema of attestation registers.
func RegisterSchemaJSON() string { return registerSchemaJSON }

var (
	registerOnce   sync.Once
	registerSchema *jsonschema.Schema
	registerErr    error
)

// ParseRegister parses an attestation register: a YAML file with a
// top-level attestations list, kept by a customer for the providers it
// relies on (or by an organisation for all its systems).
func ParseRegister(name string, data []byte) ([]demarc.Attestation, error) {
	registerOnce.Do(func() {
		registerSchema, registerErr = yamlfile.CompileSchema("urn:demarc:schema:attestations", registerSchemaJSON)
	})
	if registerErr != nil {
		return nil, registerErr
	}
	doc, err := yamlfile.Parse(name, data)
	if err != nil {
		return nil, err
	}
	if ps := doc.Validate(registerSchema); len(ps) > 0 {
		return nil, ps.Err()
	}
	var f struct {
		Attestations []demarc.Attestation `yaml:"attestations"`
	}
	if err := doc.Decode(&f); err != nil {
		return nil, err
	}
	for i := range f.Attestations {
		f.Attestations[i].Pos = doc.Pos("attestations", i)
	}
	return f.Attestations, nil
}

// LoadRegister reads and parses the register at path.
func LoadRegister(path string) ([]demarc.Attestation, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRegister(path, data)
}

// loadAttestationFiles adds the attestations of the register files a
// system names, resolved relative to the system file's folder.
func loadAttestationFiles(sys *demarc.System, systemPath string) error {
	for _, f := range sys.AttestationFiles {
		p := f
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(systemPath), f)
		}
		as, err := LoadRegister(p)
		if err != nil {
			return err
		}
		sys.Attestations = append(sys.Attestations, as...)
	}
	return nil
}
