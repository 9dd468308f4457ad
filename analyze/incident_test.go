package analyze_test

import (
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
)

const clinic = `name: clinic
frameworks: [hipaa-security]
regulations: [gdpr]
components:
  - name: vm
    service: aws/ec2
  - name: fn
    service: aws/lambda
teams:
  - name: sec
    contact: sec@example.com
    responsible: [ops.*, identity.*]
contracts:
  - party: aws
    kind: baa
    reference: AWS BAA
    contact: aws-security
    notify_within: 24 hours
    notify_hours: 24
`

func plan(t *testing.T, an *analyze.Analysis, id string) analyze.IncidentPlan {
	t.Helper()
	plans, err := an.Incidents(id)
	if err != nil || len(plans) != 1 {
		t.Fatalf("incidents(%s): %v", id, err)
	}
	return plans[0]
}

func duty(p analyze.IncidentPlan, d demarc.IncidentDuty) analyze.IncidentDuty {
	for _, x := range p.Duties {
		if x.Duty == d {
			return x
		}
	}
	return analyze.IncidentDuty{}
}

func TestIncidentDuties(t *testing.T) {
	an := analysis(t, "clinic.yaml", "", clinic, "hipaa-security", "2026-01-15")
	hv := plan(t, an, "hypervisor-vulnerability")
	if got := duty(hv, demarc.DutyRemediate).Owner; got != demarc.OwnerProvider {
		t.Errorf("hypervisor vulnerability remediated by %s, want provider", got)
	}
	creds := plan(t, an, "compromised-cloud-credentials")
	rem := duty(creds, demarc.DutyRemediate)
	if rem.Owner == demarc.OwnerProvider {
		t.Errorf("compromised credentials remediated by the provider alone")
	}
	var customer *analyze.PartyRole
	for i := range rem.Parties {
		if rem.Parties[i].Party.Kind == demarc.PartyCustomer {
			customer = &rem.Parties[i]
		}
	}
	if customer == nil || strings.Join(customer.Teams, ",") != "sec" || customer.Contact != "sec@example.com" {
		t.Errorf("customer role = %+v, want team sec with its contact", customer)
	}
}

// Regulations come from the system file and from its frameworks, and the
// contract's notice comes first.
func TestIncidentDeadlines(t *testing.T) {
	an := analysis(t, "clinic.yaml", "", clinic, "hipaa-security", "2026-01-15")
	var regs []string
	for _, r := range an.RegulationsInScope() {
		regs = append(regs, r.ID)
	}
	if got := strings.Join(regs, ","); !strings.Contains(got, "gdpr") || !strings.Contains(got, "hipaa") {
		t.Errorf("regulations in scope = %s, want gdpr (named) and hipaa (from hipaa-security)", got)
	}
	p := plan(t, an, "public-storage-exposure")
	var sawContract, sawGDPR72 bool
	last := -1
	for _, n := range p.Notifications {
		if n.Hours < last {
			t.Errorf("notifications not soonest first: %d after %d", n.Hours, last)
		}
		last = n.Hours
		sawContract = sawContract || n.From == "aws" && n.Hours == 24
		sawGDPR72 = sawGDPR72 || n.Source == "gdpr" && n.Hours == 72 && n.From == "customer"
	}
	if !sawContract || !sawGDPR72 {
		t.Errorf("want aws's 24-hour contractual notice and GDPR's 72 hours; got %+v", p.Notifications)
	}
}

func TestUnknownIncidentType(t *testing.T) {
	an := analysis(t, "clinic.yaml", "", clinic, "hipaa-security", "2026-01-15")
	if _, err := an.Incidents("ransomware"); demarc.ErrorCode(err) != demarc.ENotFound || !strings.Contains(err.Error(), "ransomware-data-destruction") {
		t.Errorf("err = %v, want not found with a suggestion", err)
	}
}

// Telemetry: a VM's OS logs are the customer's to collect; Lambda's
// function logs are supplied by default.
func TestTelemetryCoverage(t *testing.T) {
	an := analysis(t, "clinic.yaml", "", clinic, "hipaa-security", "2026-01-15")
	r := an.Telemetry()
	find := func(comp string, area demarc.AreaID) *analyze.MonitoringDuty {
		for i := range r.Duties {
			if r.Duties[i].Component == comp && r.Duties[i].Area == area {
				return &r.Duties[i]
			}
		}
		return nil
	}
	if d := find("fn", "app.logging"); d == nil || d.Coverage != analyze.CoveredByDefault {
		t.Errorf("fn app.logging = %+v, want covered by default", d)
	}
	if d := find("vm", "os.logging"); d == nil || d.Coverage == analyze.CoveredByDefault || d.Coverage == analyze.NotObservable {
		t.Errorf("vm os.logging = %+v, want needs-enabling or customer-collects", d)
	}
	if d := find("fn", "os.logging"); d != nil {
		t.Errorf("fn os.logging is the provider's; it is no monitoring duty of the customer: %+v", d)
	}
}
