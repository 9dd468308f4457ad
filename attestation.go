package demarc

// AttestationType names a kind of independent assurance.
type AttestationType string

// Attestation types demarc knows how to weigh.
const (
	SOC1Type2       AttestationType = "soc1-type2"
	SOC2Type1       AttestationType = "soc2-type1"
	SOC2Type2       AttestationType = "soc2-type2"
	ISO27001        AttestationType = "iso-27001"
	ISO27017        AttestationType = "iso-27017"
	ISO27018        AttestationType = "iso-27018"
	FedRAMPLow      AttestationType = "fedramp-low"
	FedRAMPModerate AttestationType = "fedramp-moderate"
	FedRAMPHigh     AttestationType = "fedramp-high"
	PCIDSSAoC       AttestationType = "pci-dss-aoc"
	HIPAABAA        AttestationType = "hipaa-baa"
	C5              AttestationType = "c5"
	CSASTAR         AttestationType = "csa-star"
)

// Attestation is one provider's independent assurance: a report or
// certificate with its period, the services in its scope, the frameworks it
// speaks to, and the complementary user-entity controls it hands back to
// the customer.
type Attestation struct {
	ID       string          `json:"id" yaml:"id"`
	Provider ProviderID      `json:"provider" yaml:"provider"`
	Type     AttestationType `json:"type" yaml:"type"`
	Issuer   string          `json:"issuer,omitempty" yaml:"issuer,omitempty"`
	Period   Period          `json:"period" yaml:"period"`
	// Expires is when the report or certificate stops being relied on.
	// When empty, a report is relied on for twelve months after its period.
	Expires       Date           `json:"expires,omitempty" yaml:"expires,omitempty"`
	BridgeLetters []BridgeLetter `json:"bridge_letters,omitempty" yaml:"bridge_letters,omitempty"`
	// Services in scope; "aws/*" covers every service of a provider.
	Services []string `json:"services" yaml:"services"`
	// Frameworks the attestation speaks to; when empty, those its type
	// implies (a SOC 2 report speaks to soc2).
	Frameworks []FrameworkID `json:"frameworks,omitempty" yaml:"frameworks,omitempty"`
	CUECs      []CUEC        `json:"cuecs,omitempty" yaml:"cuecs,omitempty"`
	Document   string        `json:"document,omitempty" yaml:"document,omitempty"`
	Pos        Position      `json:"-" yaml:"-"`
}

// Period is the span an attestation's testing covered.
type Period struct {
	From Date `json:"from" yaml:"from"`
	To   Date `json:"to" yaml:"to"`
}

// BridgeLetter is the provider's statement that nothing material changed
// after a report's period, through a date.
type BridgeLetter struct {
	Issued  Date `json:"issued" yaml:"issued"`
	Through Date `json:"through" yaml:"through"`
}

// CUEC is a complementary user-entity control: something a report assumes
// the customer does, without which the provider's controls do not hold.
type CUEC struct {
	ID    string   `json:"id" yaml:"id"`
	Text  string   `json:"text" yaml:"text"`
	Areas []AreaID `json:"areas" yaml:"areas"`
}

// ImpliedFrameworks lists the frameworks an attestation type speaks to.
var ImpliedFrameworks = map[AttestationType][]FrameworkID{
	SOC2Type1:       {"soc2"},
	SOC2Type2:       {"soc2"},
	ISO27001:        {"iso-27001-2022"},
	ISO27017:        {"iso-27017"},
	FedRAMPLow:      {"nist-800-53-r5"},
	FedRAMPModerate: {"nist-800-53-r5"},
	FedRAMPHigh:     {"nist-800-53-r5"},
	PCIDSSAoC:       {"pci-dss-4"},
	HIPAABAA:        {"hipaa-security"},
	CSASTAR:         {"csa-ccm-v4"},
	C5:              {"csa-ccm-v4", "iso-27001-2022"},
}

// CoversFramework reports whether the attestation speaks to fw.
func (a *Attestation) CoversFramework(fw FrameworkID) bool {
	list := a.Frameworks
	if len(list) == 0 {
		list = ImpliedFrameworks[a.Type]
	}
	for _, f := range list {
		if f == fw {
			return true
		}
	}
	return false
}

// CoversService reports whether svc is in the attestation's scope.
func (a *Attestation) CoversService(svc ServiceID) bool {
	for _, s := range a.Services {
		if s == string(svc) {
			return true
		}
		if n := len(s); n > 2 && s[n-2:] == "/*" && len(svc) > n-1 && string(svc[:n-1]) == s[:n-1] {
			return true
		}
	}
	return false
}

// ValidThrough is the last day the attestation can be relied on: its
// expiry (or twelve months after its period), extended by bridge letters.
func (a *Attestation) ValidThrough() Date {
	end := a.Expires
	if end.IsZero() {
		end = a.Period.To.AddMonths(12)
	}
	for _, b := range a.BridgeLetters {
		if b.Through.After(end.Time) {
			end = b.Through
		}
	}
	return end
}

// ValidOn reports whether the attestation can be relied on at day d.
func (a *Attestation) ValidOn(d Date) bool {
	return !d.Before(a.Period.From.Time) && !d.After(a.ValidThrough().Time)
}
