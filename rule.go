package demarc

// Rule states who owns one area. Service models, provider statements,
// service statements and system overrides are all lists of rules; they
// differ only in precedence.
type Rule struct {
	Area    AreaID  `json:"area" yaml:"area"`
	Owner   Owner   `json:"owner" yaml:"owner"`
	Sharing Sharing `json:"sharing,omitempty" yaml:"sharing,omitempty"`
	// Provider and Customer describe each party's part. Required when
	// Owner is shared; optional otherwise.
	Provider string `json:"provider,omitempty" yaml:"provider,omitempty"`
	Customer string `json:"customer,omitempty" yaml:"customer,omitempty"`
	// Party names the third party when Owner is third-party.
	Party  string   `json:"party,omitempty" yaml:"party,omitempty"`
	Duties Duties   `json:"duties,omitempty" yaml:"duties,omitempty"`
	Models []Model  `json:"models,omitempty" yaml:"models,omitempty"` // provider statements only: the models it applies to
	Note   string   `json:"note,omitempty" yaml:"note,omitempty"`
	Pos    Position `json:"-" yaml:"-"`
}

// AppliesTo reports whether a provider-statement rule applies to a service
// of model m. A rule without models applies to all.
func (r Rule) AppliesTo(m Model) bool {
	if len(r.Models) == 0 {
		return true
	}
	for _, x := range r.Models {
		if x == m {
			return true
		}
	}
	return false
}

// Model names a service model.
type Model string

// The service models, from the customer owning everything to the provider
// owning nearly everything.
const (
	ModelOnPrem Model = "on-prem"
	ModelIaaS   Model = "iaas"
	ModelCaaS   Model = "caas"
	ModelPaaS   Model = "paas"
	ModelFaaS   Model = "faas"
	ModelSaaS   Model = "saas"
)

// ServiceModel gives a default owner for every area.
type ServiceModel struct {
	ID          Model  `json:"id" yaml:"id"`
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description" yaml:"description"`
	// Boundary is the highest stack layer of the substrate the model's
	// service is delivered on: virtualization for IaaS, container for CaaS,
	// runtime for PaaS, FaaS and SaaS (the SaaS application itself is the
	// provider's own). A component that runs on another takes the areas of
	// this layer and those below it from the component beneath. Empty for
	// on-prem, which runs on nothing.
	Boundary Layer    `json:"boundary,omitempty" yaml:"boundary,omitempty"`
	Defaults []Rule   `json:"defaults" yaml:"defaults"`
	Pos      Position `json:"-" yaml:"-"`
}

// Below reports whether areas of layer l lie at or below the model's
// boundary, and so come from the component beneath when there is one.
// Operations and governance span the stack and are never below.
func (m *ServiceModel) Below(l Layer) bool {
	if m.Boundary == "" || l == LayerOperations || l == LayerGovernance {
		return false
	}
	return l.Rank() <= m.Boundary.Rank()
}
