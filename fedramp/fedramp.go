// Package fedramp builds FedRAMP's Control Implementation Summary (CIS) and
// Customer Responsibility Matrix (CRM) for a resolved system, over the
// controls of a FedRAMP Rev 5 baseline, and writes them as the workbook
// FedRAMP's template describes (XLSX) or as CSV.
//
// The CSP is the provider of the services the system uses (AWS, Azure, a
// SaaS vendor …) and the customer is the system's owner: the workbook says
// what the customer can inherit from its providers and what it must do
// itself, composed over every component of the system. FedRAMP's rules
// decide inheritance: a control wholly done by providers can be inherited
// (Yes); dependent sharing, where the provider does part of the customer's
// own obligation, is Partial, with both parts written out; a customer
// control, or independent sharing, where each party keeps its own policy,
// training or screening, is No, with what the customer must do.
package fedramp

import (
	"encoding/json"

	"github.com/demarc-io/demarc"
)

// Status is a control's implementation status, one of FedRAMP's five.
type Status string

// Implementation statuses. The workbook leaves the status empty for a
// control with unassigned or conflicting areas: nobody implements it yet.
const (
	Implemented          Status = "implemented"
	PartiallyImplemented Status = "partial"
	Planned              Status = "planned"
	Alternative          Status = "alternative"
	NotApplicable        Status = "not-applicable"
)

// Statuses lists the statuses in the order of the CIS columns.
var Statuses = []Status{Implemented, PartiallyImplemented, Planned, Alternative, NotApplicable}

// Heading is the status's CIS column heading.
func (s Status) Heading() string {
	switch s {
	case Implemented:
		return "Implemented"
	case PartiallyImplemented:
		return "Partially Implemented"
	case Planned:
		return "Planned"
	case Alternative:
		return "Alternative Implementation"
	case NotApplicable:
		return "Not Applicable"
	}
	return string(s)
}

// Origination is where a control's satisfaction comes from. The values
// are FedRAMP's control-origination values, plus hybrid and shared, which
// the CIS sheet gives columns of their own.
type Origination string

// Control originations, in the order of the CIS columns.
const (
	SPCorporate        Origination = "sp-corporate"
	SPSystem           Origination = "sp-system"
	SPHybrid           Origination = "sp-hybrid" // corporate and system specific
	CustomerConfigured Origination = "customer-configured"
	CustomerProvided   Origination = "customer-provided"
	Shared             Origination = "shared"
	Inherited          Origination = "inherited" // from a pre-existing FedRAMP authorization
)

// Originations lists the originations in the order of the CIS columns.
var Originations = []Origination{SPCorporate, SPSystem, SPHybrid, CustomerConfigured, CustomerProvided, Shared, Inherited}

// Heading is the origination's CIS column heading.
func (o Origination) Heading() string {
	switch o {
	case SPCorporate:
		return "Service Provider Corporate"
	case SPSystem:
		return "Service Provider System Specific"
	case SPHybrid:
		return "Service Provider Hybrid (Corporate and System Specific)"
	case CustomerConfigured:
		return "Configured by Customer (Customer System Specific)"
	case CustomerProvided:
		return "Provided by Customer (Customer System Specific)"
	case Shared:
		return "Shared (Service Provider and Customer Responsibility)"
	case Inherited:
		return "Inherited from pre-existing FedRAMP Authorization"
	}
	return string(o)
}

// Inheritance answers the CRM's question "Can Be Inherited from CSP".
type Inheritance string

// Answers to "Can Be Inherited from CSP".
const (
	InheritYes     Inheritance = "Yes"
	InheritPartial Inheritance = "Partial"
	InheritNo      Inheritance = "No"
)

// CISRow is one control of the Control Implementation Summary.
type CISRow struct {
	Control     demarc.ControlID `json:"control"`
	Label       string           `json:"label"` // "AC-2(1)"
	Title       string           `json:"title"`
	Owner       demarc.Owner     `json:"owner"`
	Sharing     demarc.Sharing   `json:"sharing,omitempty"`
	Status      Status           `json:"status,omitempty"` // empty for a gap
	Origination []Origination    `json:"origination"`
}

// CRMRow is one control, or one part of a control's statement, of the
// Customer Responsibility Matrix.
type CRMRow struct {
	Control demarc.ControlID `json:"control"`
	Part    string           `json:"part,omitempty"` // "a", or empty for the whole control
	Label   string           `json:"label"`          // "AC-2(a)"
	Inherit Inheritance      `json:"inheritable"`
	// Responsibility is the "Specific Inheritance and Customer Agency/CSP
	// Responsibilities" text: what the providers do that the customer
	// inherits, and what the customer must do.
	Responsibility string `json:"responsibility"`
}

// Workbook is a system's CIS and CRM for one baseline.
type Workbook struct {
	System   string      `json:"system"`
	Baseline string      `json:"baseline"` // baseline id
	Title    string      `json:"baseline_title"`
	Version  string      `json:"baseline_version"`
	Date     demarc.Date `json:"-"` // written as "date": "2006-01-02" by MarshalJSON
	CIS      []CISRow    `json:"cis"`
	CRM      []CRMRow    `json:"crm"`
	// Services are the system's components and the services they use, as
	// the workbook's notes list them.
	Services []ServiceUse `json:"services"`
	// Warnings say what the workbook could not decide: controls with
	// unassigned or conflicting areas, controls missing from the framework.
	Warnings []string `json:"warnings,omitempty"`
}

// ServiceUse is one component of the system and the service it uses.
type ServiceUse struct {
	Component string           `json:"component"`
	Service   demarc.ServiceID `json:"service"`
	Title     string           `json:"title"`
	Provider  string           `json:"provider"`
}

// MarshalJSON writes the workbook with its date as a day, "2026-11-25".
func (w *Workbook) MarshalJSON() ([]byte, error) {
	type plain Workbook // without this method
	return json.Marshal(struct {
		*plain
		Date string `json:"date"`
	}{(*plain)(w), w.Date.String()})
}
