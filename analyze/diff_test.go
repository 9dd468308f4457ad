package analyze_test

import (
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
)

const vmSystem = `name: app
components:
  - name: api
    service: aws/ec2
  - name: db
    service: aws/rds
`

// Moving api from EC2 to Lambda hands OS patching to the provider.
func TestSwapEC2ForLambda(t *testing.T) {
	an := analysis(t, "app.yaml", "", vmSystem, "", "")
	after, err := analyze.Swap(an.Res.System, "api", "aws/lambda")
	if err != nil {
		t.Fatal(err)
	}
	res, err := an.Res.Engine().Resolve(after)
	if err != nil {
		t.Fatal(err)
	}
	d := analyze.Compare(an.Res, res, an.FW)
	var found bool
	for _, c := range d.Areas {
		if c.Component == "api" && c.Area == "os.patching" {
			found = c.From == demarc.OwnerCustomer && c.To == demarc.OwnerProvider
		}
		if c.Component == "db" {
			t.Errorf("db did not change but shows %s", c.Summary)
		}
	}
	if !found {
		t.Errorf("os.patching on api should move customer → provider; changes: %+v", d.Areas)
	}
	if len(d.Components.Changed) != 1 || d.Components.Changed[0].To != "aws/lambda" {
		t.Errorf("component changes = %+v", d.Components)
	}
	if _, err := analyze.Swap(an.Res.System, "apx", "aws/lambda"); demarc.ErrorCode(err) != demarc.ENotFound {
		t.Errorf("swapping an unknown component: %v", err)
	}
}

func TestCompareServicesAndProviders(t *testing.T) {
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e := resolve.New(lib)
	c, err := analyze.CompareServices(e, []demarc.ServiceID{"aws/ec2", "aws/lambda"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Differ == 0 || len(c.Rows) != len(lib.Areas()) {
		t.Errorf("EC2 vs Lambda: %d differing of %d rows", c.Differ, len(c.Rows))
	}
	p, err := analyze.CompareProviders(e, demarc.ModelIaaS, []demarc.ProviderID{"aws", "gcp"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rows {
		if r.Area == "facility.physical-security" && (r.Differs || r.Cells[0].Owner != demarc.OwnerProvider) {
			t.Errorf("facility security under IaaS is the provider's for both: %+v", r)
		}
	}
	if _, err := analyze.CompareServices(e, []demarc.ServiceID{"aws/ec3"}); demarc.ErrorCode(err) != demarc.ENotFound {
		t.Errorf("unknown service: %v", err)
	}
}

// The same gap weighs more on restricted data than on public data, and an
// inheritance gap is provider-managed risk.
func TestRiskScaling(t *testing.T) {
	gaps := func(class string) *analyze.RiskReport {
		src := "name: app\ndata_classification: " + class + "\ncomponents:\n  - name: fn\n    service: aws/lambda\nassumptions:\n  - {area: data.backup, component: fn, owner: provider}\n"
		an := analysis(t, "app.yaml", "", src, "", "2026-01-15")
		return an.Risks(an.Gaps())
	}
	pub, res := gaps("public"), gaps("restricted")
	score := func(r *analyze.RiskReport, kind demarc.GapKind) int {
		for _, x := range r.Risks {
			if x.Kind == kind {
				return x.Score
			}
		}
		return -1
	}
	if a, b := score(pub, demarc.GapOverDelegation), score(res, demarc.GapOverDelegation); a < 0 || b <= a {
		t.Errorf("over-delegation risk: public %d, restricted %d; want restricted higher", a, b)
	}
	for _, x := range res.Risks {
		if x.Kind == demarc.GapInheritance && x.ManagedBy != analyze.ProviderManaged {
			t.Errorf("inheritance risk managed by %s", x.ManagedBy)
		}
	}
	if res.Split[analyze.ProviderManaged].Count == 0 || res.Split[analyze.CustomerManaged].Count == 0 {
		t.Errorf("split = %+v, want risks on both sides", res.Split)
	}
}
