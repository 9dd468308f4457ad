package demarc

// Owner says who is responsible for an area or a control.
type Owner string

// Owners a statement may declare, and the two that only resolution yields.
const (
	OwnerProvider      Owner = "provider"
	OwnerCustomer      Owner = "customer"
	OwnerShared        Owner = "shared"
	OwnerThirdParty    Owner = "third-party"
	OwnerNotApplicable Owner = "not-applicable"
	OwnerUnassigned    Owner = "unassigned" // no rule decided it
	OwnerConflict      Owner = "conflict"   // rules of equal rank disagree
)

// DeclarableOwners are the owners a statement or override may state.
var DeclarableOwners = []Owner{OwnerProvider, OwnerCustomer, OwnerShared, OwnerThirdParty, OwnerNotApplicable}

// Valid reports whether o may be declared by a statement.
func (o Owner) Valid() bool {
	for _, x := range DeclarableOwners {
		if x == o {
			return true
		}
	}
	return false
}

// Gap reports whether the owner is a result that leaves work undone.
func (o Owner) Gap() bool { return o == OwnerUnassigned || o == OwnerConflict }

// Sharing is the kind of a shared responsibility, after CSA CCM's
// distinction between dependent and independent sharing.
type Sharing string

const (
	// SharingDependent: the provider does part of the customer's own
	// obligation, which the customer inherits (hypervisor vs guest OS
	// patching). Inheritance views mark it partial.
	SharingDependent Sharing = "dependent"
	// SharingIndependent: each party does the same duty for its own scope
	// (own policies, own staff training). Nothing is inherited.
	SharingIndependent Sharing = "independent"
)

// Valid reports whether s is a known kind of sharing.
func (s Sharing) Valid() bool { return s == SharingDependent || s == SharingIndependent }

// PartyKind is the role a party plays towards the system's owner.
type PartyKind string

// Party kinds.
const (
	PartyProvider   PartyKind = "provider"
	PartyCustomer   PartyKind = "customer"
	PartyThirdParty PartyKind = "third-party"
)

// Party is someone who does a part of the work: a named provider ("aws"),
// the customer (optionally a team), or a named third party.
type Party struct {
	Kind PartyKind `json:"kind" yaml:"kind"`
	Name string    `json:"name,omitempty" yaml:"name,omitempty"`
}

func (p Party) String() string {
	if p.Name == "" {
		return string(p.Kind)
	}
	return string(p.Kind) + ":" + p.Name
}

// Duty is one kind of work within a responsibility.
type Duty string

// Duties of a responsibility.
const (
	DutyImplement Duty = "implement"
	DutyConfigure Duty = "configure"
	DutyValidate  Duty = "validate" // assess, e.g. read the provider's SOC 2 report
	DutyMonitor   Duty = "monitor"
)

// DutyList is every duty in display order.
var DutyList = []Duty{DutyImplement, DutyConfigure, DutyValidate, DutyMonitor}

// Duties assigns each duty to an owner. A missing duty follows the area's
// owner (validate stays with the customer for provider-owned areas, since
// the customer must assess what it inherits).
type Duties map[Duty]Owner
