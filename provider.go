package demarc

// ProviderID names a provider, e.g. "aws".
type ProviderID string

// ServiceID names a service as provider/name, e.g. "aws/lambda".
type ServiceID string

// Provider is a cloud, SaaS or generic provider with its own statement:
// rules that change the service-model defaults for all its services.
type Provider struct {
	ID          ProviderID `json:"id" yaml:"id"`
	Title       string     `json:"title" yaml:"title"`
	Kind        string     `json:"kind" yaml:"kind"` // cloud, saas or generic
	Description string     `json:"description,omitempty" yaml:"description,omitempty"`
	URL         string     `json:"url,omitempty" yaml:"url,omitempty"` // where the provider publishes its model
	Statement   []Rule     `json:"statement,omitempty" yaml:"statement,omitempty"`
	Services    []Service  `json:"services" yaml:"services"`
	Pos         Position   `json:"-" yaml:"-"`
}

// Service is one offering of a provider. Overrides are the areas where the
// service differs from its provider's statement and its model.
type Service struct {
	ID          ServiceID          `json:"id" yaml:"id"`
	Title       string             `json:"title" yaml:"title"`
	Model       Model              `json:"model" yaml:"model"`
	Category    string             `json:"category" yaml:"category"`
	Description string             `json:"description,omitempty" yaml:"description,omitempty"`
	Overrides   []Rule             `json:"overrides,omitempty" yaml:"overrides,omitempty"`
	Features    map[string]Feature `json:"features,omitempty" yaml:"features,omitempty"`
	LogSources  []LogSource        `json:"log_sources,omitempty" yaml:"log_sources,omitempty"`
	Provider    ProviderID         `json:"provider" yaml:"-"` // set by the loader
	Pos         Position           `json:"-" yaml:"-"`
}

// Feature is a security capability of a service, such as customer-managed
// keys: whether the service supports it and whether it is on by default.
type Feature struct {
	Supported bool   `json:"supported" yaml:"supported"`
	Default   bool   `json:"default,omitempty" yaml:"default,omitempty"`
	Note      string `json:"note,omitempty" yaml:"note,omitempty"`
}
