package oscal

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/defenseunicorns/go-oscal/src/pkg/validation"
	"github.com/defenseunicorns/go-oscal/src/pkg/versioning"
)

// Model names the kind of an OSCAL document: its top-level key.
type Model string

// The OSCAL models. MappingCollection exists from OSCAL 1.2 on.
const (
	Catalog             Model = "catalog"
	Profile             Model = "profile"
	ComponentDefinition Model = "component-definition"
	SystemSecurityPlan  Model = "system-security-plan"
	AssessmentPlan      Model = "assessment-plan"
	AssessmentResults   Model = "assessment-results"
	POAM                Model = "plan-of-action-and-milestones"
	MappingCollection   Model = "mapping-collection"
)

// schemaSet is the compiled official schema of one OSCAL version.
type schemaSet struct {
	version   string
	models    map[Model]*schemaNode
	directive *schemaNode // the optional "$schema" member beside the model
}

// modelNames returns the models this schema knows, sorted.
func (s *schemaSet) modelNames() []string {
	names := make([]string, 0, len(s.models))
	for m := range s.models {
		names = append(names, string(m))
	}
	sort.Strings(names)
	return names
}

var (
	schemaMu    sync.Mutex
	schemaCache = map[string]*schemaEntry{}
)

type schemaEntry struct {
	once sync.Once
	set  *schemaSet
	err  error
}

// schemaFor returns the compiled schema of an OSCAL version that go-oscal
// embeds, compiling it on first use.
func schemaFor(version string) (*schemaSet, error) {
	schemaMu.Lock()
	e := schemaCache[version]
	if e == nil {
		e = &schemaEntry{}
		schemaCache[version] = e
	}
	schemaMu.Unlock()
	e.once.Do(func() { e.set, e.err = compileVersion(version) })
	return e.set, e.err
}

// compileVersion reads the official NIST schema that go-oscal embeds for
// version and compiles it.
func compileVersion(version string) (*schemaSet, error) {
	// go-oscal exposes its embedded schemas only through a validator; one
	// made for an empty document hands them over.
	v, err := validation.NewValidatorDesiredVersion(map[string]any{string(Catalog): map[string]any{}}, version)
	if err != nil {
		return nil, fmt.Errorf("OSCAL %s schema: %w", version, err)
	}
	params, err := v.GetValidationParams()
	if err != nil {
		return nil, fmt.Errorf("OSCAL %s schema: %w", version, err)
	}
	comp, err := compileSchema(params.SchemaData)
	if err != nil {
		return nil, fmt.Errorf("compile the OSCAL %s schema: %w", version, err)
	}
	root, err := comp.at("")
	if err != nil {
		return nil, err
	}
	set := &schemaSet{version: version, models: map[Model]*schemaNode{}}
	for _, branch := range root.oneOf {
		if len(branch.required) != 1 {
			return nil, fmt.Errorf("OSCAL %s schema: a top-level alternative requires %v; expected one model", version, branch.required)
		}
		m := Model(branch.required[0])
		set.models[m] = branch.props[string(m)]
		set.directive = branch.props["$schema"]
	}
	if len(set.models) == 0 {
		return nil, fmt.Errorf("OSCAL %s schema names no models", version)
	}
	return set, nil
}

var versionPattern = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$`)

// schemaVersion picks the schema for a declared oscal-version: the same
// version when go-oscal embeds it, else the closest patch release of the
// same minor version, with a note saying so. A version of an unknown minor
// line, or text that is no version, is an error.
func schemaVersion(declared string) (version, note string, err error) {
	m := versionPattern.FindStringSubmatch(declared)
	if m == nil {
		return "", "", fmt.Errorf("oscal-version %q is not an OSCAL version; expected one such as 1.1.2", declared)
	}
	exact := m[1] + "." + m[2] + "." + m[3]
	if m[4] == "" && supported(exact) {
		return exact, "", nil
	}
	patch, _ := strconv.Atoi(m[3]) // the pattern guarantees digits
	best, bestDist := -1, 0
	for p := 0; p <= maxPatch; p++ {
		if !supported(fmt.Sprintf("%s.%s.%d", m[1], m[2], p)) {
			continue
		}
		d := p - patch
		if d < 0 {
			d = -d
		}
		if best < 0 || d < bestDist || d == bestDist && p > best {
			best, bestDist = p, d
		}
	}
	if best < 0 {
		return "", "", fmt.Errorf("OSCAL version %s is not supported; known versions: %s", declared, strings.Join(knownVersions(), ", "))
	}
	version = fmt.Sprintf("%s.%s.%d", m[1], m[2], best)
	return version, fmt.Sprintf("declared OSCAL %s has no published schema here; checked against %s, the closest known release", declared, version), nil
}

// maxPatch bounds the patch releases probed in each minor version.
const maxPatch = 20

func supported(v string) bool { return versioning.IsValidOscalVersion(v) == nil }

// knownVersions lists the OSCAL versions whose schemas go-oscal embeds.
func knownVersions() []string {
	var out []string
	for minor := 0; minor <= 5; minor++ {
		for p := 0; p <= maxPatch; p++ {
			if v := fmt.Sprintf("1.%d.%d", minor, p); supported(v) {
				out = append(out, v)
			}
		}
	}
	return out
}
