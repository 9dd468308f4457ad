package demarc

// FrameworkID names a framework, e.g. "nist-800-53-r5".
type FrameworkID string

// ControlID names a control within a framework, e.g. "ac-2.1".
type ControlID string

// Framework is a set of controls, each mapped to the areas it concerns.
type Framework struct {
	ID          FrameworkID `json:"id" yaml:"id"`
	Title       string      `json:"title" yaml:"title"`
	Version     string      `json:"version,omitempty" yaml:"version,omitempty"`
	Publisher   string      `json:"publisher,omitempty" yaml:"publisher,omitempty"`
	Description string      `json:"description,omitempty" yaml:"description,omitempty"`
	Families    []Family    `json:"families,omitempty" yaml:"families,omitempty"`
	Controls    []Control   `json:"controls" yaml:"controls"`
	Pos         Position    `json:"-" yaml:"-"`
}

// Family groups controls. Its areas apply to member controls that name
// none of their own.
type Family struct {
	ID    string   `json:"id" yaml:"id"`
	Title string   `json:"title" yaml:"title"`
	Areas []AreaID `json:"areas,omitempty" yaml:"areas,omitempty"`
}

// Control is one requirement of a framework. An enhancement names its
// Parent and, when it lists no areas, takes the parent's.
type Control struct {
	ID        ControlID `json:"id" yaml:"id"`
	Title     string    `json:"title" yaml:"title"`
	Family    string    `json:"family,omitempty" yaml:"family,omitempty"`
	Parent    ControlID `json:"parent,omitempty" yaml:"parent,omitempty"`
	Areas     []AreaID  `json:"areas,omitempty" yaml:"areas,omitempty"`
	Withdrawn bool      `json:"withdrawn,omitempty" yaml:"withdrawn,omitempty"`
	// AreasFrom says where Areas came from when the control lists none of
	// its own: "parent ac-2" or "family ac". Set by the loader.
	AreasFrom string   `json:"areas_from,omitempty" yaml:"-"`
	Pos       Position `json:"-" yaml:"-"`
}
