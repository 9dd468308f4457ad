package ssp

import (
	"strings"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
)

// OSCALVersion is the OSCAL version of every document this package writes.
const OSCALVersion = oscal.Version

// NS is the namespace of demarc's own OSCAL properties: owner, sharing,
// area, not-applicable, service, provider, service-model, category and
// control-id.
const NS = "https://github.com/demarc-io/demarc/ns/oscal"

// NSFedRAMP is the namespace of FedRAMP's extensions, among them
// control-origination and implementation-status.
const NSFedRAMP = "https://fedramp.gov/ns/oscal"

// Names of demarc's properties.
const (
	propOwner         = "owner"          // provider, customer, shared …
	propSharing       = "sharing"        // dependent or independent
	propArea          = "area"           // the responsibility area a statement speaks to
	propNotApplicable = "not-applicable" // an area that does not exist for the service
	propService       = "service"        // a library service id
	propProvider      = "provider"       // a library provider id
	propModel         = "service-model"  // on-prem, iaas, caas, paas, faas, saas
	propCategory      = "category"       // the service's library category
	propControlID     = "control-id"     // the framework's own control id, when not an OSCAL token
	propTeam          = "team"           // a customer team
	propComponent     = "component"      // a component of the customer's system
)

// Control origination values (FedRAMP).
const (
	originCorporate          = "sp-corporate"
	originSystem             = "sp-system"
	originCustomerConfigured = "customer-configured"
	originCustomerProvided   = "customer-provided"
	originInherited          = "inherited"
)

// Implementation states (OSCAL).
const (
	stateImplemented   = "implemented"
	statePartial       = "partial"
	statePlanned       = "planned"
	stateNotApplicable = "not-applicable"
)

func prop(name, value string) oscal.Property {
	return oscal.Property{Name: name, Ns: NS, Value: value}
}

func fedrampProp(name, value string) oscal.Property {
	return oscal.Property{Name: name, Ns: NSFedRAMP, Value: value}
}

// coreProp is a property in OSCAL's own namespace.
func coreProp(name, value string) oscal.Property {
	return oscal.Property{Name: name, Value: value}
}

// propList returns nil for no properties: OSCAL forbids empty arrays.
func propList(ps []oscal.Property) *[]oscal.Property {
	if len(ps) == 0 {
		return nil
	}
	return &ps
}

// governance reports whether area belongs to the governance layer, whose
// work an organisation does once for all its systems (FedRAMP's "service
// provider corporate").
func governance(lib areaLookup, area demarc.AreaID) bool {
	a := lib.Area(area)
	return a != nil && a.Layer == demarc.LayerGovernance
}

// areaLookup is the part of the library the writers need to name areas.
type areaLookup interface {
	Area(id demarc.AreaID) *demarc.Area
}

// areaTitle returns the area's title, or its id when the library lacks it.
func areaTitle(lib areaLookup, area demarc.AreaID) string {
	if a := lib.Area(area); a != nil {
		return a.Title
	}
	return string(area)
}

// text makes s fit OSCAL's string type: no leading or trailing white space,
// never empty.
func text(s, fallback string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return fallback
	}
	return s
}

// oneLine makes s fit a property value: one line, trimmed, never empty.
func oneLine(s string) string {
	return text(collapse(s), "-")
}

// collapse puts s on one line: runs of white space become one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
