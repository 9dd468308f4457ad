package demarc

// FeatureInfo describes a security capability a system can require of its
// services (customer-managed keys, private networking …), the areas it
// serves, and the compensating controls to use where a service lacks it.
type FeatureInfo struct {
	ID           string   `json:"id" yaml:"id"`
	Title        string   `json:"title" yaml:"title"`
	Areas        []AreaID `json:"areas" yaml:"areas"`
	Compensating []string `json:"compensating" yaml:"compensating"`
	Pos          Position `json:"-" yaml:"-"`
}
