package demarc

// GapKind names a way the shared responsibility model breaks in practice.
type GapKind string

// Kinds of gap.
const (
	GapUnassigned     GapKind = "unassigned"              // no source says who owns an area
	GapConflict       GapKind = "conflict"                // sources of equal rank disagree
	GapNoOwner        GapKind = "no-customer-owner"       // customer work with no team
	GapOverDelegation GapKind = "over-delegation"         // the customer believes the provider does its work
	GapInheritance    GapKind = "unsupported-inheritance" // an inherited control without valid attestation
	GapCUEC           GapKind = "untaken-cuec"            // a report's complementary control nobody took
	GapCompensating   GapKind = "compensating-control"    // a required feature the service lacks
)

// GapKinds lists every kind of gap.
var GapKinds = []GapKind{GapUnassigned, GapConflict, GapNoOwner, GapOverDelegation, GapInheritance, GapCUEC, GapCompensating}

// Severity ranks a gap.
type Severity string

// Severities, lowest first.
const (
	SeverityLow    Severity = "low"
	SeverityMedium Severity = "medium"
	SeverityHigh   Severity = "high"
)

// Rank orders severities: low 1, medium 2, high 3; 0 for unknown.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	}
	return 0
}

// Gap is a place where nobody — or the wrong party — is responsible, with
// what it affects and what to do about it.
type Gap struct {
	ID         string      `json:"id"`
	Kind       GapKind     `json:"kind"`
	Severity   Severity    `json:"severity"`
	Title      string      `json:"title"`
	Message    string      `json:"message"`
	Fix        string      `json:"fix"`
	Areas      []AreaID    `json:"areas"`
	Controls   []ControlID `json:"controls"`
	Components []string    `json:"components"`
	// Party is who must act: "customer", a team, or a provider.
	Party        string   `json:"party,omitempty"`
	Attestation  string   `json:"attestation,omitempty"`
	CUEC         string   `json:"cuec,omitempty"`
	Feature      string   `json:"feature,omitempty"`
	Compensating []string `json:"compensating,omitempty"`
	Pos          Position `json:"position,omitempty"`
}
