package analyze

import (
	"sort"

	"github.com/demarc-io/demarc"
)

// IncidentPlan says, for one incident type, who investigates, remediates
// and communicates, whom to call, and which notification clocks start.
type IncidentPlan struct {
	Type          demarc.IncidentType `json:"type"`
	Duties        []IncidentDuty      `json:"duties"`
	Notifications []NotificationDuty  `json:"notifications"`
	Warnings      []string            `json:"warnings,omitempty"`
}

// IncidentDuty is one incident duty and the parties that carry it.
type IncidentDuty struct {
	Duty    demarc.IncidentDuty `json:"duty"`
	Owner   demarc.Owner        `json:"owner"`
	Parties []PartyRole         `json:"parties"`
}

// PartyRole is a party's share of a duty: through which areas and
// components, and how to reach it.
type PartyRole struct {
	Party      demarc.Party    `json:"party"`
	Teams      []string        `json:"teams,omitempty"`
	Contact    string          `json:"contact,omitempty"`
	Areas      []demarc.AreaID `json:"areas"`
	Components []string        `json:"components"`
}

// NotificationDuty is one deadline to tell someone about the incident.
type NotificationDuty struct {
	Source string `json:"source"` // a regulation id, or "contract"
	From   string `json:"from"`   // who must notify
	To     string `json:"to"`
	Within string `json:"within"`
	Hours  int    `json:"hours"`
	When   string `json:"when"`
	// Condition, when set, says when the duty applies ("if personal data
	// is affected").
	Condition string `json:"condition,omitempty"`
}

// RegulationsInScope returns the regulations the system names and those
// its frameworks bring in.
func (a *Analysis) RegulationsInScope() []demarc.Regulation {
	var out []demarc.Regulation
	named := map[string]bool{}
	for _, id := range a.Res.System.Regulations {
		named[id] = true
	}
	fws := map[demarc.FrameworkID]bool{a.FW.ID: true}
	for _, f := range a.Res.System.Frameworks {
		fws[f] = true
	}
	for _, r := range a.Lib.Regulations() {
		in := named[r.ID]
		for _, f := range r.Frameworks {
			in = in || fws[f]
		}
		if in {
			out = append(out, r)
		}
	}
	return out
}

// Incidents plans every incident type in the library, or only id when it
// is not empty. An unknown id is a not-found error.
func (a *Analysis) Incidents(id string) ([]IncidentPlan, error) {
	types := a.Lib.Incidents()
	if id != "" {
		t := a.Lib.Incident(id)
		if t == nil {
			var ids []string
			for _, x := range types {
				ids = append(ids, x.ID)
			}
			return nil, demarc.Errorf(demarc.ENotFound, "unknown incident type %q%s", id, suggest(id, ids))
		}
		types = []demarc.IncidentType{*t}
	}
	plans := make([]IncidentPlan, 0, len(types))
	for _, t := range types {
		plans = append(plans, a.plan(t))
	}
	return plans, nil
}

func (a *Analysis) plan(t demarc.IncidentType) IncidentPlan {
	p := IncidentPlan{Type: t}
	duties := []struct {
		duty  demarc.IncidentDuty
		areas []demarc.AreaID
	}{{demarc.DutyInvestigate, t.Investigate}, {demarc.DutyRemediate, t.Remediate}, {demarc.DutyCommunicate, t.Communicate}}
	involved := map[string][]string{} // party → components it acts on
	for _, d := range duties {
		duty := a.incidentDuty(d.duty, d.areas)
		for _, pr := range duty.Parties {
			if pr.Party.Kind != demarc.PartyCustomer {
				for _, c := range pr.Components {
					involved[pr.Party.Name] = appendUnique(involved[pr.Party.Name], c)
				}
			}
		}
		p.Duties = append(p.Duties, duty)
	}
	p.Notifications, p.Warnings = a.notifications(t, involved)
	return p
}

func (a *Analysis) incidentDuty(duty demarc.IncidentDuty, areas []demarc.AreaID) IncidentDuty {
	byParty := map[demarc.Party]*PartyRole{}
	var order []demarc.Party
	var mask struct{ provider, customer, third bool }
	for _, id := range areas {
		ai := a.Lib.AreaIndex(id)
		if ai < 0 {
			continue
		}
		for ci, comp := range a.components() {
			for _, part := range a.cell(ci, ai).Parts {
				pr := byParty[part.Party]
				if pr == nil {
					pr = &PartyRole{Party: part.Party}
					byParty[part.Party] = pr
					order = append(order, part.Party)
				}
				pr.Areas = appendArea(pr.Areas, id)
				pr.Components = appendUnique(pr.Components, comp.Name)
				switch part.Party.Kind {
				case demarc.PartyProvider:
					mask.provider = true
				case demarc.PartyCustomer:
					mask.customer = true
				default:
					mask.third = true
				}
			}
		}
	}
	out := IncidentDuty{Duty: duty, Owner: dutyOwner(mask.provider, mask.customer, mask.third), Parties: []PartyRole{}}
	for _, party := range order {
		pr := byParty[party]
		a.contactFor(pr)
		out.Parties = append(out.Parties, *pr)
	}
	return out
}

func dutyOwner(provider, customer, third bool) demarc.Owner {
	switch {
	case provider && !customer && !third:
		return demarc.OwnerProvider
	case customer && !provider && !third:
		return demarc.OwnerCustomer
	case third && !provider && !customer:
		return demarc.OwnerThirdParty
	case !provider && !customer && !third:
		return demarc.OwnerNotApplicable
	}
	return demarc.OwnerShared
}

// contactFor fills in the teams and contact of a party: the customer's
// responsible (else accountable) teams, or the party's contract contact.
func (a *Analysis) contactFor(pr *PartyRole) {
	if pr.Party.Kind == demarc.PartyCustomer {
		for _, id := range pr.Areas {
			raci := a.Res.RACI(id)
			teams := raci.Responsible
			if len(teams) == 0 {
				teams = raci.Accountable
			}
			for _, t := range teams {
				pr.Teams = appendUnique(pr.Teams, t)
			}
		}
		var contacts []string
		for _, t := range a.Res.System.Teams {
			for _, name := range pr.Teams {
				if t.Name == name && t.Contact != "" {
					contacts = appendUnique(contacts, t.Contact)
				}
			}
		}
		pr.Contact = joinComma(contacts)
		return
	}
	if c := a.contract(pr.Party.Name); c != nil {
		pr.Contact = c.Contact
	}
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// contract returns the system's contract with party that sets an incident
// notice, else any contract with it, else nil.
func (a *Analysis) contract(party string) *demarc.Contract {
	var any *demarc.Contract
	for i := range a.Res.System.Contracts {
		c := &a.Res.System.Contracts[i]
		if c.Party != party {
			continue
		}
		if c.NotifyWithin != "" {
			return c
		}
		if any == nil {
			any = c
		}
	}
	return any
}

// notifications lists the deadlines an incident starts: each involved
// provider's contractual notice to the customer, then the regulations in
// scope, soonest first.
func (a *Analysis) notifications(t demarc.IncidentType, involved map[string][]string) ([]NotificationDuty, []string) {
	var out []NotificationDuty
	var warnings []string
	for _, name := range sortedKeys(involved) {
		if a.reportsTo(name, involved[name]) != "customer" {
			continue // a sub-processor answers to the vendor that engaged it
		}
		c := a.contract(name)
		switch {
		case c != nil && c.NotifyWithin != "":
			out = append(out, NotificationDuty{Source: "contract " + c.Reference, From: name, To: "customer", Within: c.NotifyWithin, Hours: c.NotifyHours, When: "when the incident affects the customer's data or service"})
		default:
			warnings = append(warnings, "No contract in the system file sets how fast "+name+" must tell you of an incident; add one (contracts[].notify_within) or rely on its public terms.")
		}
	}
	for _, r := range a.RegulationsInScope() {
		for _, n := range r.Notifications {
			nd := NotificationDuty{Source: r.ID, From: "customer", To: n.To, Within: n.Within, Hours: n.Hours, When: n.When}
			if n.PersonalData && !t.PersonalData {
				nd.Condition = "if personal data is affected"
			}
			if n.By != "processor" {
				out = append(out, nd)
				continue
			}
			// A processor's notice is owed to the system owner by each
			// provider involved.
			for _, name := range sortedKeys(involved) {
				pd := nd
				pd.From, pd.To = name, "customer (as controller)"
				if to := a.reportsTo(name, involved[name]); to != "customer" {
					pd.To = to + " (which engaged it)"
				}
				out = append(out, pd)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Hours < out[j].Hours })
	if out == nil {
		out = []NotificationDuty{}
	}
	return out, warnings
}

// reportsTo is whom a provider owes incident notice: the vendor that
// operates every component it acts on (it is that vendor's sub-processor),
// or else the customer.
func (a *Analysis) reportsTo(party string, comps []string) string {
	to := ""
	for _, name := range comps {
		c := a.Res.System.Component(name)
		if c == nil || c.OperatedBy == "" || c.OperatedBy == party {
			return "customer"
		}
		if to != "" && to != c.OperatedBy {
			return "customer"
		}
		to = c.OperatedBy
	}
	if to == "" {
		return "customer"
	}
	return to
}
