package azurebaseline

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

//go:embed areas.yaml
var areasYAML []byte

// areaTable maps feature names, benchmark controls and control domains to
// demarc areas.
type areaTable struct {
	Features map[string][]demarc.AreaID `yaml:"features"`
	Controls map[string][]demarc.AreaID `yaml:"controls"`
	Domains  map[string][]demarc.AreaID `yaml:"domains"`
}

var (
	tableOnce sync.Once
	table     areaTable
	tableErr  error
)

// mapping returns the embedded table with feature names normalised.
func mapping() (*areaTable, error) {
	tableOnce.Do(func() {
		var raw areaTable
		if err := yaml.Unmarshal(areasYAML, &raw); err != nil {
			tableErr = fmt.Errorf("embedded Azure baseline area table: %w", err)
			return
		}
		table = areaTable{Features: map[string][]demarc.AreaID{}, Controls: raw.Controls, Domains: raw.Domains}
		for name, areas := range raw.Features {
			table.Features[normalise(name)] = areas
		}
	})
	return &table, tableErr
}

// Areas returns the areas the table gives a feature or a benchmark
// control, with what decided them: "feature", "control" or "domain". The
// feature wins, being the most specific. It returns nil and "" when the
// table knows neither.
func Areas(feature, control string) ([]demarc.AreaID, string) {
	return areasFor(feature, control)
}

func areasFor(feature, control string) ([]demarc.AreaID, string) {
	t, err := mapping()
	if err != nil {
		return nil, ""
	}
	if a, ok := t.Features[normalise(feature)]; ok && feature != "" {
		return a, "feature"
	}
	if a, ok := t.Controls[control]; ok {
		return a, "control"
	}
	if domain, _, ok := strings.Cut(control, "-"); ok {
		if a, ok := t.Domains[domain]; ok {
			return a, "domain"
		}
	}
	return nil, ""
}

// MappedAreas lists every area the table can map to, for checks against a
// library.
func MappedAreas() ([]demarc.AreaID, error) {
	t, err := mapping()
	if err != nil {
		return nil, err
	}
	seen := map[demarc.AreaID]bool{}
	var out []demarc.AreaID
	for _, m := range []map[string][]demarc.AreaID{t.Features, t.Controls, t.Domains} {
		for _, areas := range m {
			for _, a := range areas {
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	return out, nil
}
