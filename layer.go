package demarc

// Layer is a slice of the stack. Layers are ordered bottom (facility) to top
// (endpoint); operations and governance span the stack.
type Layer string

// The layers, bottom to top, then the two that span the stack.
const (
	LayerFacility       Layer = "facility"
	LayerHardware       Layer = "hardware"
	LayerNetwork        Layer = "network"
	LayerVirtualization Layer = "virtualization"
	LayerOS             Layer = "os"
	LayerContainer      Layer = "container"
	LayerRuntime        Layer = "runtime"
	LayerApplication    Layer = "application"
	LayerData           Layer = "data"
	LayerIdentity       Layer = "identity"
	LayerEndpoint       Layer = "endpoint"
	LayerOperations     Layer = "operations"
	LayerGovernance     Layer = "governance"
)

// Layers lists every layer in stack order.
var Layers = []Layer{
	LayerFacility, LayerHardware, LayerNetwork, LayerVirtualization, LayerOS,
	LayerContainer, LayerRuntime, LayerApplication, LayerData, LayerIdentity,
	LayerEndpoint, LayerOperations, LayerGovernance,
}

// Rank returns the layer's position in Layers, or -1 for an unknown layer.
func (l Layer) Rank() int {
	for i, x := range Layers {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is one of Layers.
func (l Layer) Valid() bool { return l.Rank() >= 0 }

// AreaID names a responsibility area, e.g. "os.patching".
type AreaID string

// Area is a named responsibility on one layer. The catalog of areas is the
// common language into which provider statements and framework controls are
// translated.
type Area struct {
	ID          AreaID `json:"id" yaml:"id"`
	Layer       Layer  `json:"layer" yaml:"layer"`
	Title       string `json:"title" yaml:"title"`
	Description string `json:"description" yaml:"description"`
	// Monitored marks areas whose events or state logs can show, so that
	// watching them is a monitoring duty.
	Monitored bool     `json:"monitored,omitempty" yaml:"monitored,omitempty"`
	Pos       Position `json:"-" yaml:"-"`
}
