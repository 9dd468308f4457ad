package demarc

// IncidentType is a kind of security incident and the areas whose owners
// investigate, remediate and communicate it.
type IncidentType struct {
	ID          string `json:"id" yaml:"id"`
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description" yaml:"description"`
	// Investigate, Remediate and Communicate name the areas whose owners
	// carry each incident duty.
	Investigate []AreaID `json:"investigate" yaml:"investigate"`
	Remediate   []AreaID `json:"remediate" yaml:"remediate"`
	Communicate []AreaID `json:"communicate" yaml:"communicate"`
	// PersonalData marks incidents that usually expose personal data and so
	// start breach-notification clocks.
	PersonalData bool     `json:"personal_data,omitempty" yaml:"personal_data,omitempty"`
	Pos          Position `json:"-" yaml:"-"`
}

// IncidentDuty is one duty of incident handling.
type IncidentDuty string

// Incident duties.
const (
	DutyInvestigate IncidentDuty = "investigate"
	DutyRemediate   IncidentDuty = "remediate"
	DutyCommunicate IncidentDuty = "communicate"
)

// Regulation is a law or rule that sets incident-notification deadlines.
type Regulation struct {
	ID           string `json:"id" yaml:"id"`
	Title        string `json:"title" yaml:"title"`
	Jurisdiction string `json:"jurisdiction" yaml:"jurisdiction"`
	// Frameworks in scope that bring the regulation in by themselves
	// (hipaa-security brings in HIPAA's breach rule).
	Frameworks    []FrameworkID  `json:"frameworks,omitempty" yaml:"frameworks,omitempty"`
	Notifications []Notification `json:"notifications" yaml:"notifications"`
	Pos           Position       `json:"-" yaml:"-"`
}

// Notification is one duty to tell someone about an incident, by a deadline.
type Notification struct {
	To string `json:"to" yaml:"to"` // e.g. "supervisory authority"
	// Within is the deadline as written ("72 hours", "60 days"); Hours is
	// the same in hours, for sorting; 0 means "without undue delay".
	Within string `json:"within" yaml:"within"`
	Hours  int    `json:"hours" yaml:"hours"`
	// When says what starts the clock or what must be true.
	When         string `json:"when" yaml:"when"`
	PersonalData bool   `json:"personal_data,omitempty" yaml:"personal_data,omitempty"` // only when personal data is affected
	// By says who owes the notice: the controller (the system owner, by
	// default) or a processor (each provider or vendor involved, owing it
	// to the system owner).
	By string `json:"by,omitempty" yaml:"by,omitempty"`
}

// Contract is an agreement with a party that sets contacts, deadlines and
// service levels for the system.
type Contract struct {
	Party     string `json:"party" yaml:"party"`
	Kind      string `json:"kind" yaml:"kind"` // msa, sla, dpa, baa …
	Reference string `json:"reference,omitempty" yaml:"reference,omitempty"`
	Contact   string `json:"contact,omitempty" yaml:"contact,omitempty"` // security or incident contact
	// NotifyWithin is how soon the party must tell the customer of an
	// incident affecting it ("24 hours"); NotifyHours the same in hours.
	NotifyWithin string   `json:"notify_within,omitempty" yaml:"notify_within,omitempty"`
	NotifyHours  int      `json:"notify_hours,omitempty" yaml:"notify_hours,omitempty"`
	SLA          string   `json:"sla,omitempty" yaml:"sla,omitempty"`
	Pos          Position `json:"-" yaml:"-"`
}
