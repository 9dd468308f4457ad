package demarc

import "strings"

// System is the customer's workload: the components it runs, the teams that
// do the customer's part, and the contracts and beliefs that move
// boundaries.
type System struct {
	Name               string         `json:"name" yaml:"name"`
	Description        string         `json:"description,omitempty" yaml:"description,omitempty"`
	Frameworks         []FrameworkID  `json:"frameworks,omitempty" yaml:"frameworks,omitempty"`
	DataClassification Classification `json:"data_classification,omitempty" yaml:"data_classification,omitempty"`
	Components         []Component    `json:"components" yaml:"components"`
	Teams              []Team         `json:"teams,omitempty" yaml:"teams,omitempty"`
	Overrides          []Override     `json:"overrides,omitempty" yaml:"overrides,omitempty"`
	Assumptions        []Assumption   `json:"assumptions,omitempty" yaml:"assumptions,omitempty"`
	// Attestations are the provider attestations the customer relies on,
	// inline; AttestationFiles name register files to load as well,
	// relative to the system file.
	Attestations     []Attestation `json:"attestations,omitempty" yaml:"attestations,omitempty"`
	AttestationFiles []string      `json:"attestation_files,omitempty" yaml:"attestation_files,omitempty"`
	Contracts        []Contract    `json:"contracts,omitempty" yaml:"contracts,omitempty"`
	// Regulations in scope by id (gdpr, hipaa …), besides those the
	// frameworks bring in.
	Regulations []string `json:"regulations,omitempty" yaml:"regulations,omitempty"`
	// Requires lists security features every component must offer, such
	// as customer-managed-keys; a component may add its own.
	Requires []string `json:"requires,omitempty" yaml:"requires,omitempty"`
	Pos      Position `json:"-" yaml:"-"`
}

// Component returns the component named name, or nil when there is none.
func (s *System) Component(name string) *Component {
	for i := range s.Components {
		if s.Components[i].Name == name {
			return &s.Components[i]
		}
	}
	return nil
}

// Classification is the sensitivity of the data a system holds.
type Classification string

// Classifications, least to most sensitive.
const (
	ClassPublic       Classification = "public"
	ClassInternal     Classification = "internal"
	ClassConfidential Classification = "confidential"
	ClassRestricted   Classification = "restricted"
)

// Component is one part of a system, using one service. RunsOn names the
// component beneath it, whose areas below this component's boundary it
// inherits. OperatedBy names a party that runs the component for the system
// owner; its customer-side work is then that party's. Provider names who
// provides a generic service (a SaaS vendor the library does not know).
type Component struct {
	Name        string     `json:"name" yaml:"name"`
	Service     ServiceID  `json:"service" yaml:"service"`
	Provider    ProviderID `json:"provider,omitempty" yaml:"provider,omitempty"`
	RunsOn      string     `json:"runs_on,omitempty" yaml:"runs_on,omitempty"`
	OperatedBy  string     `json:"operated_by,omitempty" yaml:"operated_by,omitempty"`
	Requires    []string   `json:"requires,omitempty" yaml:"requires,omitempty"`
	Description string     `json:"description,omitempty" yaml:"description,omitempty"`
	Pos         Position   `json:"-" yaml:"-"`
}

// Team is a customer team and the areas it takes, as RACI. An entry may
// end in ".*" to take every area of a prefix, e.g. "os.*".
type Team struct {
	Name        string   `json:"name" yaml:"name"`
	Contact     string   `json:"contact,omitempty" yaml:"contact,omitempty"`
	Responsible []string `json:"responsible,omitempty" yaml:"responsible,omitempty"`
	Accountable []string `json:"accountable,omitempty" yaml:"accountable,omitempty"`
	Consulted   []string `json:"consulted,omitempty" yaml:"consulted,omitempty"`
	Informed    []string `json:"informed,omitempty" yaml:"informed,omitempty"`
	// CUECs are the complementary user-entity controls the team has taken,
	// by id.
	CUECs []string `json:"cuecs,omitempty" yaml:"cuecs,omitempty"`
	Pos   Position `json:"-" yaml:"-"`
}

// Override moves an area to another party for one component (or, with no
// component, for all of them), for a stated reason such as a contract.
type Override struct {
	Rule      `yaml:",inline"`
	Component string `json:"component,omitempty" yaml:"component,omitempty"`
	Reason    string `json:"reason" yaml:"reason"`
	Reference string `json:"reference,omitempty" yaml:"reference,omitempty"` // e.g. "MSA §4.2"
}

// Assumption records what the customer believes a party does. Resolution
// ignores it; analysis compares it with the resolved owner.
type Assumption struct {
	Area      AreaID   `json:"area" yaml:"area"`
	Component string   `json:"component,omitempty" yaml:"component,omitempty"`
	Owner     Owner    `json:"owner" yaml:"owner"`
	Note      string   `json:"note,omitempty" yaml:"note,omitempty"`
	Pos       Position `json:"-" yaml:"-"`
}

// MatchArea reports whether a team's area pattern — an area id, or a prefix
// ending in ".*" such as "os.*" — covers area.
func MatchArea(pattern string, area AreaID) bool {
	if prefix, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(string(area), prefix+".")
	}
	return pattern == string(area)
}
