package fedramp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// Framework is the framework FedRAMP's baselines select their controls
// from; Build resolves them against the library's copy of it.
const Framework demarc.FrameworkID = "nist-800-53-r5"

// Options adjust Build.
type Options struct {
	// Date is the workbook's date; the zero date means today.
	Date demarc.Date
	// WholeControls gives one CRM row per control instead of one per part
	// of the control's statement ("AC-2(a)", "AC-2(b)" …), as FedRAMP's
	// template has it.
	WholeControls bool
}

// Build rolls the resolved system up to the controls of baseline b and
// answers, per control, FedRAMP's CIS and CRM questions. It fails with
// demarc.ENotFound when the library lacks the 800-53 framework; a baseline
// control the framework lacks (a user library may replace it) gets blank
// rows and a warning.
func Build(res *resolve.Resolution, b *Baseline, opt Options) (*Workbook, error) {
	lib := res.Library()
	fw := lib.Framework(Framework)
	if fw == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "the library has no %s framework, which FedRAMP's baselines select from", Framework)
	}
	if opt.Date.IsZero() {
		opt.Date = demarc.Today()
	}
	m := res.Matrix(fw)
	byID := make(map[demarc.ControlID]*demarc.ControlResult, len(m.Controls))
	for i := range m.Controls {
		byID[demarc.ControlID(strings.ToLower(string(m.Controls[i].ID)))] = &m.Controls[i]
	}
	w := &Workbook{
		System: res.System.Name, Baseline: b.ID, Title: b.Title, Version: b.Version, Date: opt.Date,
		CIS: make([]CISRow, 0, len(b.Controls)), CRM: make([]CRMRow, 0, len(b.Controls)*3),
	}
	c := newComposer(res)
	w.Services = c.services()
	var gaps, missing []string
	for _, id := range b.Controls {
		cr := byID[demarc.ControlID(strings.ToLower(string(id)))]
		switch {
		case cr == nil:
			missing = append(missing, Label(id, ""))
			w.addMissing(id)
			continue
		case cr.Owner.Gap():
			gaps = append(gaps, Label(id, ""))
		}
		w.addControl(c, cr, opt.WholeControls)
	}
	if len(gaps) > 0 {
		w.Warnings = append(w.Warnings, fmt.Sprintf("%d control(s) have unassigned or conflicting areas, so nobody implements them yet; their implementation status is left blank: %s", len(gaps), strings.Join(gaps, ", ")))
	}
	if len(missing) > 0 {
		w.Warnings = append(w.Warnings, fmt.Sprintf("%d baseline control(s) are not active controls of the library's %s framework; their rows are left blank: %s", len(missing), Framework, strings.Join(missing, ", ")))
	}
	return w, nil
}

// addControl adds a control's CIS row and its CRM rows: one per statement
// part, or one for the whole control.
func (w *Workbook) addControl(c *composer, cr *demarc.ControlResult, whole bool) {
	w.CIS = append(w.CIS, c.cisRow(cr))
	inherit, text := c.crm(cr)
	parts := Parts(cr.ID)
	if whole || len(parts) == 0 {
		parts = []string{""}
	}
	for _, p := range parts {
		w.CRM = append(w.CRM, CRMRow{Control: cr.ID, Part: p, Label: Label(cr.ID, p), Inherit: inherit, Responsibility: text})
	}
}

// addMissing adds blank rows for a baseline control the framework lacks.
func (w *Workbook) addMissing(id demarc.ControlID) {
	w.CIS = append(w.CIS, CISRow{Control: id, Label: Label(id, ""), Origination: []Origination{}})
	w.CRM = append(w.CRM, CRMRow{Control: id, Label: Label(id, ""), Responsibility: fmt.Sprintf("%s is not an active control of the library's %s framework.", Label(id, ""), Framework)})
}

// composer answers the CIS and CRM questions for controls of one
// resolution.
type composer struct {
	res *resolve.Resolution
	// csp is the provider of each component: the party the customer
	// deals with for it.
	csp map[string]string
	// title is the service title of each component.
	title map[string]string
}

func newComposer(res *resolve.Resolution) *composer {
	c := &composer{res: res, csp: map[string]string{}, title: map[string]string{}}
	for _, comp := range res.System.Components {
		c.csp[comp.Name] = c.providerOf(comp.Name, len(res.System.Components))
		c.title[comp.Name] = c.serviceTitle(&comp)
	}
	return c
}

// serviceTitle names a component's service for a reader: its title, and
// for a generic service provided by a named vendor, the vendor as well.
func (c *composer) serviceTitle(comp *demarc.Component) string {
	svc := c.res.Library().Service(comp.Service)
	if svc == nil {
		return string(comp.Service)
	}
	if comp.Provider != "" && comp.Provider != svc.Provider {
		name := string(comp.Provider)
		if p := c.res.Library().Provider(comp.Provider); p != nil {
			name = p.Title
		}
		return svc.Title + " from " + name
	}
	return svc.Title
}

// providerOf is the provider of the named component: its own provider, its
// service's provider, or — for a generic service that runs on another
// component — the provider beneath. depth bounds the walk.
func (c *composer) providerOf(name string, depth int) string {
	comp := c.res.System.Component(name)
	if comp == nil {
		return ""
	}
	if comp.Provider != "" {
		return string(comp.Provider)
	}
	svc := c.res.Library().Service(comp.Service)
	if svc == nil {
		return ""
	}
	if svc.Provider == "generic" && comp.RunsOn != "" && depth > 0 {
		return c.providerOf(comp.RunsOn, depth-1)
	}
	return string(svc.Provider)
}

func (c *composer) services() []ServiceUse {
	out := make([]ServiceUse, 0, len(c.res.System.Components))
	for _, comp := range c.res.System.Components {
		out = append(out, ServiceUse{Component: comp.Name, Service: comp.Service, Title: c.title[comp.Name], Provider: c.csp[comp.Name]})
	}
	return out
}

func (c *composer) cisRow(cr *demarc.ControlResult) CISRow {
	row := CISRow{Control: cr.ID, Label: Label(cr.ID, ""), Title: cr.Title, Owner: cr.Owner, Sharing: cr.Sharing, Origination: []Origination{}}
	switch {
	case cr.Owner == demarc.OwnerNotApplicable:
		row.Status = NotApplicable
		return row
	case cr.Owner.Gap():
		return row
	}
	row.Status = Implemented
	row.Origination = c.origination(cr)
	return row
}

// origination says where each party's part of the control comes from: a
// provider's governance part is corporate, any other provider part system
// specific (both: hybrid), and a part the provider itself takes from a
// component beneath run by another provider is inherited. A customer part
// is configured when the provider supplies the mechanism (dependent
// sharing of that area on that component) and provided otherwise; a third
// party works for the customer, so its part is provided by the customer.
func (c *composer) origination(cr *demarc.ControlResult) []Origination {
	set := map[Origination]bool{}
	for _, p := range cr.Provider {
		switch {
		case c.inheritedPart(p):
			set[Inherited] = true
		case c.layer(p.Area) == demarc.LayerGovernance:
			set[SPCorporate] = true
		default:
			set[SPSystem] = true
		}
	}
	if set[SPCorporate] && set[SPSystem] {
		delete(set, SPCorporate)
		delete(set, SPSystem)
		set[SPHybrid] = true
	}
	for _, p := range cr.Customer {
		if c.configuredPart(p) {
			set[CustomerConfigured] = true
		} else {
			set[CustomerProvided] = true
		}
	}
	if len(cr.ThirdParty) > 0 {
		set[CustomerProvided] = true
	}
	if cr.Owner == demarc.OwnerShared && cr.Sharing == demarc.SharingDependent {
		set[Shared] = true
	}
	out := make([]Origination, 0, len(set))
	for _, o := range Originations {
		if set[o] {
			out = append(out, o)
		}
	}
	return out
}

func (c *composer) layer(area demarc.AreaID) demarc.Layer {
	if a := c.res.Library().Area(area); a != nil {
		return a.Layer
	}
	return ""
}

// inheritedPart reports whether a provider part reached some component
// through the component beneath it, from a provider other than the
// component's own: the component's provider inherits it in turn.
func (c *composer) inheritedPart(p demarc.Part) bool {
	for _, comp := range p.Components {
		asg := c.res.Assignment(comp, p.Area)
		if asg != nil && len(asg.Provenance.Via) > 0 && p.Party.Name != c.csp[comp] {
			return true
		}
	}
	return false
}

// configuredPart reports whether a customer part configures what a
// provider supplies: the area is shared dependently on some component.
func (c *composer) configuredPart(p demarc.Part) bool {
	for _, comp := range p.Components {
		asg := c.res.Assignment(comp, p.Area)
		if asg != nil && asg.Owner == demarc.OwnerShared && asg.Sharing == demarc.SharingDependent {
			return true
		}
	}
	return false
}

// crm answers "Can Be Inherited from CSP" for a control and writes out who
// does what.
func (c *composer) crm(cr *demarc.ControlResult) (Inheritance, string) {
	multi := c.distinctServices(cr.Components) > 1 && someSubset(cr)
	var b strings.Builder
	section := func(heading string, parts []demarc.Part) {
		if len(parts) == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(heading)
		for _, l := range c.lines(parts, cr.Components, multi, strings.Contains(partyNames(parts), ",")) {
			b.WriteString("\n- ")
			b.WriteString(l)
		}
	}
	switch {
	case cr.Owner.Gap():
		section("No party is responsible yet (resolve this before relying on the row):", cr.Gaps)
		section("Done by the CSP:", cr.Provider)
		section("Customer responsibility:", cr.Customer)
		section("Done by a third party the customer engages:", cr.ThirdParty)
		return InheritNo, b.String()
	case cr.Owner == demarc.OwnerNotApplicable:
		return InheritNo, fmt.Sprintf("Not applicable: no component of the system has the areas this control covers (%s).", c.areaTitles(cr.Areas))
	case cr.Owner == demarc.OwnerProvider:
		section(fmt.Sprintf("Inherited from the CSP (%s):", partyNames(cr.Provider)), cr.Provider)
		return InheritYes, b.String()
	case cr.Owner == demarc.OwnerShared && cr.Sharing == demarc.SharingDependent:
		section(fmt.Sprintf("Inherited from the CSP (%s):", partyNames(cr.Provider)), cr.Provider)
		section("Customer responsibility:", cr.Customer)
		section("Done by a third party the customer engages:", cr.ThirdParty)
		return InheritPartial, b.String()
	case cr.Owner == demarc.OwnerShared:
		section("Customer responsibility (each party does this for its own scope; nothing is inherited):", cr.Customer)
		section("Done by a third party the customer engages:", cr.ThirdParty)
		return InheritNo, b.String()
	}
	section("Customer responsibility:", cr.Customer)
	section("Done by a third party the customer engages:", cr.ThirdParty)
	return InheritNo, b.String()
}

// lines writes each part as "Service (components) — Area: text". The
// service prefix appears only when the control involves several services
// and not every part covers all of them; the party is named when the parts
// come from several.
func (c *composer) lines(parts []demarc.Part, all []string, multi, parties bool) []string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		var s strings.Builder
		if multi {
			s.WriteString(c.serviceNames(p.Components, all))
			s.WriteString(" — ")
		}
		s.WriteString(c.areaTitle(p.Area))
		if p.Party.Name != "" && (parties || p.Party.Kind == demarc.PartyThirdParty) {
			s.WriteString(", by " + p.Party.Name)
		}
		s.WriteString(": ")
		s.WriteString(strings.TrimSpace(p.Text))
		if gap := demarc.Owner(p.Party.Kind); gap.Gap() {
			s.WriteString(" (" + string(p.Party.Kind) + ")")
		}
		if len(p.Teams) > 0 {
			s.WriteString(" [team: " + strings.Join(p.Teams, ", ") + "]")
		}
		out = append(out, s.String())
	}
	return out
}

// serviceNames names the services of comps, "Amazon S3 (images), AWS
// Lambda (api)"; "All services" when they are all of the control's
// components, and "All services but …" when they miss only a few.
func (c *composer) serviceNames(comps, all []string) string {
	if len(comps) >= len(all) {
		return "All services"
	}
	if missing := len(all) - len(comps); len(comps) > len(all)/2 && missing < len(comps) {
		in := make(map[string]bool, len(comps))
		for _, comp := range comps {
			in[comp] = true
		}
		rest := make([]string, 0, missing)
		for _, comp := range all {
			if !in[comp] {
				rest = append(rest, comp)
			}
		}
		return "All services but " + c.namesOf(rest)
	}
	return c.namesOf(comps)
}

// namesOf names components by their services: "AWS Lambda (api, jobs)".
func (c *composer) namesOf(comps []string) string {
	var order []string
	by := map[string][]string{}
	for _, comp := range comps {
		t := c.title[comp]
		if _, ok := by[t]; !ok {
			order = append(order, t)
		}
		by[t] = append(by[t], comp)
	}
	names := make([]string, len(order))
	for i, t := range order {
		names[i] = t + " (" + strings.Join(by[t], ", ") + ")"
	}
	return strings.Join(names, ", ")
}

// someSubset reports whether some part of the control covers only some of
// its components, so that the parts must name their services.
func someSubset(cr *demarc.ControlResult) bool {
	for _, parts := range [][]demarc.Part{cr.Provider, cr.Customer, cr.ThirdParty, cr.Gaps} {
		for _, p := range parts {
			if len(p.Components) < len(cr.Components) {
				return true
			}
		}
	}
	return false
}

func (c *composer) distinctServices(comps []string) int {
	seen := map[demarc.ServiceID]bool{}
	for _, name := range comps {
		if comp := c.res.System.Component(name); comp != nil {
			seen[comp.Service] = true
		}
	}
	return len(seen)
}

func (c *composer) areaTitle(id demarc.AreaID) string {
	if a := c.res.Library().Area(id); a != nil {
		return a.Title
	}
	return string(id)
}

func (c *composer) areaTitles(ids []demarc.AreaID) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = c.areaTitle(id)
	}
	return strings.Join(out, ", ")
}

// partyNames lists the distinct parties of parts, sorted.
func partyNames(parts []demarc.Part) string {
	seen := map[string]bool{}
	var out []string
	for _, p := range parts {
		if p.Party.Name != "" && !seen[p.Party.Name] {
			seen[p.Party.Name] = true
			out = append(out, p.Party.Name)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
