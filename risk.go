package demarc

// Risk is a gap seen as risk: how likely it is to be exploited, how much
// harm it would do to this system's data, and who manages it.
type Risk struct {
	Gap        string  `json:"gap"` // the gap's id
	Title      string  `json:"title"`
	Kind       GapKind `json:"kind"`
	Likelihood int     `json:"likelihood"` // 1 (rare) to 5 (almost certain)
	Impact     int     `json:"impact"`     // 1 (negligible) to 5 (severe)
	Score      int     `json:"score"`      // likelihood × impact, 1 to 25
	Level      string  `json:"level"`      // low, medium, high, critical
	// ManagedBy says which side holds the residual risk: provider-managed
	// (the customer relies on a provider control it cannot see) or
	// customer-managed (the customer's own work is missing).
	ManagedBy  string   `json:"managed_by"`
	Party      string   `json:"party,omitempty"`
	Rationale  string   `json:"rationale"`
	Areas      []AreaID `json:"areas"`
	Components []string `json:"components"`
}
