package ssp_test

import (
	"bytes"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/resolve"
)

// roundTripServices cover every model and the providers' own statements.
var roundTripServices = []demarc.ServiceID{"aws/lambda", "generic/on-prem", "okta/workforce-identity", "aws/ec2", "aws/rds", "aws/s3", "aws/eks", "azure/sql-database", "azure/app-service", "gcp/gke", "gcp/cloud-storage", "generic/saas"}

// A service exported as its provider's leveraged plan and imported back
// has the same owner, and the same kind of sharing, for every area an
// 800-53 control speaks to.
func TestLeveragedRoundTrip(t *testing.T) {
	lib := builtin(t)
	engine := resolve.New(lib)
	fw := lib.Framework("nist-800-53-r5")
	mapped := map[demarc.AreaID]bool{}
	for _, c := range fw.Controls {
		if !c.Withdrawn {
			for _, a := range c.Areas {
				mapped[a] = true
			}
		}
	}
	for i, id := range roundTripServices {
		t.Run(string(id), func(t *testing.T) {
			svc := lib.Service(id)
			if svc == nil {
				t.Fatalf("%s is not in the library", id)
			}
			doc, err := ssp.Leveraged(engine, svc, fw, ssp.Options{LastModified: pinned})
			if err != nil {
				t.Fatal(err)
			}
			var data []byte
			if i < 3 {
				data = mustValidate(t, doc) // the schema check of a full plan takes seconds
			} else {
				var buf bytes.Buffer
				if err := ssp.Write(&buf, doc); err != nil {
					t.Fatal(err)
				}
				data = buf.Bytes()
			}
			read, err := ssp.Read(string(id)+".json", data)
			if err != nil {
				t.Fatal(err)
			}
			if len(read.Defects) > 0 {
				t.Fatalf("demarc's own plan has defects: %v", read.Defects)
			}
			st, err := ssp.Import(lib, read, ssp.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Defects) > 0 {
				t.Fatalf("import reported defects: %v", st.Defects)
			}
			got := &st.Provider.Services[0]
			if got.ID != svc.ID || got.Model != svc.Model || got.Provider != svc.Provider {
				t.Fatalf("imported as %s (%s, provider %s); want %s (%s, provider %s)", got.ID, got.Model, got.Provider, svc.ID, svc.Model, svc.Provider)
			}
			var yml bytes.Buffer
			if err := st.WriteYAML(&yml); err != nil {
				t.Fatal(err)
			}
			file, err := library.ParseFile("imported.yaml", yml.Bytes())
			if err != nil {
				t.Fatalf("the library file does not parse: %v\n%s", err, yml.String())
			}
			// Load the imported statement as its own provider, so that the
			// built-in statement cannot fill in what import missed.
			file.Providers[0].ID = "imported"
			file.Providers[0].Statement = nil
			file.Providers[0].Services[0].ID = "imported/" + demarc.ServiceID(svc.ID[len(svc.Provider)+1:])
			relib, err := library.Extend(file)
			if err != nil {
				t.Fatal(err)
			}
			before := engine.ServiceAssignments(svc)
			after := resolve.New(relib).ServiceAssignments(relib.Service(file.Providers[0].Services[0].ID))
			checked := 0
			for i, a := range lib.Areas() {
				if !mapped[a.ID] {
					continue
				}
				checked++
				b, g := before[i], after[i]
				if b.Owner != g.Owner || b.Sharing != g.Sharing {
					t.Errorf("%s: exported %s %s, imported %s %s", a.ID, b.Owner, b.Sharing, g.Owner, g.Sharing)
				}
				if partText(b, demarc.PartyCustomer) != partText(g, demarc.PartyCustomer) {
					t.Errorf("%s: customer's part %q came back as %q", a.ID, partText(b, demarc.PartyCustomer), partText(g, demarc.PartyCustomer))
				}
				if partText(b, demarc.PartyProvider) != partText(g, demarc.PartyProvider) {
					t.Errorf("%s: provider's part %q came back as %q", a.ID, partText(b, demarc.PartyProvider), partText(g, demarc.PartyProvider))
				}
			}
			if checked < 50 {
				t.Fatalf("only %d areas compared", checked)
			}
		})
	}
}

func partText(a demarc.Assignment, k demarc.PartyKind) string {
	for _, p := range a.Parts {
		if p.Party.Kind == k {
			return p.Text
		}
	}
	return ""
}
