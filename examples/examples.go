// Package examples embeds the example systems and the attestation
// registers they name, so that a new server can show them without files
// on disk.
package examples

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml attestations/*.yaml
var files embed.FS

// System is an example system file with the attestation registers it
// names, each under the name the system uses for it.
type System struct {
	// Name is the file's name without .yaml, e.g. "serverless-webshop".
	Name      string
	Content   []byte
	Registers []Register
}

// Register is an attestation register file.
type Register struct {
	Name    string // as the system names it, e.g. "attestations/aws-sample.yaml"
	Content []byte
}

// Systems returns every example system, by name.
func Systems() ([]System, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]System, 0, len(names))
	for _, n := range names {
		s, err := load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func load(name string) (System, error) {
	content, err := files.ReadFile(name)
	if err != nil {
		return System{}, err
	}
	var refs struct {
		Files []string `yaml:"attestation_files"`
	}
	if err := yaml.Unmarshal(content, &refs); err != nil {
		return System{}, err
	}
	s := System{Name: strings.TrimSuffix(name, ".yaml"), Content: content}
	for _, f := range refs.Files {
		reg, err := files.ReadFile(path.Clean(f))
		if err != nil {
			return System{}, err
		}
		s.Registers = append(s.Registers, Register{Name: f, Content: reg})
	}
	return s, nil
}
