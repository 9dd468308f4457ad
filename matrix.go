package demarc

// Level is the kind of rule that decided an assignment, in precedence
// order: a system override beats inheritance from the component beneath,
// which beats the service statement, then the provider statement, then the
// service-model default.
type Level string

// Levels of precedence, highest first.
const (
	LevelOverride   Level = "system-override"
	LevelInherited  Level = "runs-on"
	LevelService    Level = "service"
	LevelProvider   Level = "provider"
	LevelModel      Level = "model"
	LevelUnassigned Level = "unassigned"
)

// Part is the work one party does within an area or a control.
type Part struct {
	Party Party  `json:"party"`
	Area  AreaID `json:"area,omitempty"`
	// Components are those whose area this part belongs to.
	Components []string `json:"components,omitempty"`
	Text       string   `json:"text"`
	// Teams are the customer teams responsible for a customer part, from
	// the system's RACI.
	Teams []string `json:"teams,omitempty"`
}

// Candidate is a rule that was considered for an assignment.
type Candidate struct {
	Level  Level    `json:"level"`
	Source string   `json:"source"` // e.g. "service aws/rds"
	Owner  Owner    `json:"owner"`
	Pos    Position `json:"position,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Provenance explains an assignment: the rule that decided it, the
// components it was inherited through, and the lower rules it shadowed.
type Provenance struct {
	Decided  Candidate   `json:"decided"`
	Via      []string    `json:"via,omitempty"`
	Shadowed []Candidate `json:"shadowed,omitempty"`
}

// Assignment is the resolved owner of one area on one component.
type Assignment struct {
	Area       AreaID     `json:"area"`
	Component  string     `json:"component"`
	Owner      Owner      `json:"owner"`
	Sharing    Sharing    `json:"sharing,omitempty"`
	Parts      []Part     `json:"parts,omitempty"`
	Duties     Duties     `json:"duties,omitempty"`
	Provenance Provenance `json:"provenance"`
}

// ControlResult is the roll-up of one control: who owns it and what each
// party's part is.
type ControlResult struct {
	ID         ControlID `json:"id"`
	Title      string    `json:"title"`
	Family     string    `json:"family,omitempty"`
	Owner      Owner     `json:"owner"`
	Sharing    Sharing   `json:"sharing,omitempty"`
	Areas      []AreaID  `json:"areas"`
	Provider   []Part    `json:"provider,omitempty"`
	Customer   []Part    `json:"customer,omitempty"`
	ThirdParty []Part    `json:"third_party,omitempty"`
	Components []string  `json:"components"`
	Gaps       []Part    `json:"gaps,omitempty"` // unassigned or conflicting areas
}

// Matrix is a system's responsibility matrix for one framework.
type Matrix struct {
	System    string          `json:"system"`
	Framework FrameworkID     `json:"framework"`
	Summary   Summary         `json:"summary"`
	Controls  []ControlResult `json:"controls"`
}

// Summary counts controls per owner.
type Summary map[Owner]int

// RACI names the customer teams responsible, accountable, consulted and
// informed for an area.
type RACI struct {
	Responsible []string `json:"responsible,omitempty"`
	Accountable []string `json:"accountable,omitempty"`
	Consulted   []string `json:"consulted,omitempty"`
	Informed    []string `json:"informed,omitempty"`
}
