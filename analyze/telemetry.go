package analyze

import (
	"github.com/demarc-io/demarc"
)

// Coverage says whether a monitoring duty can be met from logs.
type Coverage string

// Coverage states, best first.
const (
	CoveredByDefault   Coverage = "covered"           // a log the service supplies by default evidences it
	NeedsEnabling      Coverage = "needs-enabling"    // a log exists but the customer must turn it on
	CustomerCollection Coverage = "customer-collects" // the customer runs the layer and must collect its own logs
	NotObservable      Coverage = "not-observable"    // no log exists and the customer cannot collect one
)

// MonitoringDuty is one area the customer must monitor on one component,
// and how it can be observed.
type MonitoringDuty struct {
	Component string             `json:"component"`
	Service   demarc.ServiceID   `json:"service"`
	Area      demarc.AreaID      `json:"area"`
	Owner     demarc.Owner       `json:"owner"`
	Coverage  Coverage           `json:"coverage"`
	Sources   []demarc.LogSource `json:"sources,omitempty"`
	Advice    string             `json:"advice"`
	Teams     []string           `json:"teams,omitempty"`
}

// TelemetryReport lists every monitoring duty of the customer.
type TelemetryReport struct {
	System  string           `json:"system"`
	Summary map[Coverage]int `json:"summary"`
	Duties  []MonitoringDuty `json:"duties"`
}

// Telemetry finds every area whose monitoring falls to the customer (alone
// or shared) on every component, and the logs that can show it. Only areas
// marked monitored in the catalog — those whose events or state logs can
// show — are monitoring duties; policy or facility areas are not.
func (a *Analysis) Telemetry() *TelemetryReport {
	r := &TelemetryReport{System: a.Res.System.Name, Summary: map[Coverage]int{CoveredByDefault: 0, NeedsEnabling: 0, CustomerCollection: 0, NotObservable: 0}, Duties: []MonitoringDuty{}}
	for ci, comp := range a.components() {
		for ai, area := range a.Res.Areas() {
			if !area.Monitored {
				continue
			}
			asg := a.cell(ci, ai)
			m := asg.Duties[demarc.DutyMonitor]
			if m != demarc.OwnerCustomer && m != demarc.OwnerShared {
				continue
			}
			d := a.monitoringDuty(ci, comp, area, asg)
			r.Summary[d.Coverage]++
			r.Duties = append(r.Duties, d)
		}
	}
	return r
}

func (a *Analysis) monitoringDuty(ci int, comp demarc.Component, area demarc.Area, asg *demarc.Assignment) MonitoringDuty {
	origin := a.origin(ci, asg)
	d := MonitoringDuty{Component: comp.Name, Service: origin.Service, Area: area.ID, Owner: asg.Owner, Teams: a.Res.RACI(area.ID).Responsible}
	var on, off []demarc.LogSource
	for _, s := range a.logSources(comp, origin) {
		if !evidences(s, area.ID) {
			continue
		}
		if s.Default {
			on = append(on, s)
		} else {
			off = append(off, s)
		}
	}
	switch {
	case len(on) > 0:
		d.Coverage, d.Sources = CoveredByDefault, on
		d.Advice = "Supplied by default; make sure it is kept as long as your policy needs and that someone reviews it."
		if short := shortest(on); short > 0 && short < 365 {
			d.Advice = "Supplied by default but kept only briefly by the provider; export it to your log store to keep it longer."
		}
	case len(off) > 0:
		d.Coverage, d.Sources = NeedsEnabling, off
		d.Advice = "The service can log this, but only once you turn the source on and send it to your log store."
	case a.customerRunsLayer(ci, area, asg):
		d.Coverage = CustomerCollection
		d.Advice = "You run this layer: collect its logs yourself (an agent, the application's own logging) and ship them to your log store."
	default:
		d.Coverage = NotObservable
		d.Advice = "Not observable: no log the service offers shows this, and you cannot collect one. Rely on the provider's attestation, and monitor what you can around it."
	}
	return d
}

// logSources returns the sources of a component's own service; when the
// area came from a component beneath, of that component's service too; and
// those of the system's logging and security services from the same
// provider (a trail or a threat detector watches the whole account).
func (a *Analysis) logSources(comp demarc.Component, origin *demarc.Component) []demarc.LogSource {
	var out []demarc.LogSource
	own := a.Lib.Service(comp.Service)
	if own != nil {
		out = append(out, own.LogSources...)
	}
	if origin.Name != comp.Name {
		if s := a.Lib.Service(origin.Service); s != nil {
			out = append(out, s.LogSources...)
			own = s
		}
	}
	if own == nil {
		return out
	}
	for _, c := range a.components() {
		s := a.Lib.Service(c.Service)
		if c.Name != comp.Name && s != nil && s.Provider == own.Provider && (s.Category == "logging" || s.Category == "security") {
			out = append(out, s.LogSources...)
		}
	}
	return out
}

func evidences(s demarc.LogSource, area demarc.AreaID) bool {
	for _, x := range s.Areas {
		if x == area {
			return true
		}
	}
	return false
}

func shortest(ss []demarc.LogSource) int {
	best := 0
	for _, s := range ss {
		if s.RetentionDays > 0 && (best == 0 || s.RetentionDays < best) {
			best = s.RetentionDays
		}
	}
	return best
}

// customerRunsLayer reports whether the customer runs the layer the area
// sits on for this component — the layer is above the component's
// substrate and the customer implements there — so it can collect logs.
func (a *Analysis) customerRunsLayer(ci int, area demarc.Area, asg *demarc.Assignment) bool {
	if area.Layer == demarc.LayerOperations || area.Layer == demarc.LayerGovernance {
		return false
	}
	if impl := asg.Duties[demarc.DutyImplement]; impl != demarc.OwnerCustomer && impl != demarc.OwnerShared {
		return false
	}
	origin := a.origin(ci, asg)
	svc := a.Lib.Service(origin.Service)
	if svc == nil {
		return false
	}
	m := a.Lib.Model(svc.Model)
	return m == nil || !m.Below(area.Layer) || svc.Model == demarc.ModelIaaS && area.Layer == demarc.LayerNetwork
}
