package library_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
)

func builtin(t testing.TB) *library.Library {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatalf("built-in library: %v", err)
	}
	return lib
}

func TestAreasCoverEveryLayer(t *testing.T) {
	lib := builtin(t)
	if n := len(lib.Areas()); n < 45 {
		t.Errorf("areas = %d, want at least 45", n)
	}
	perLayer := map[demarc.Layer]int{}
	for _, a := range lib.Areas() {
		if !a.Layer.Valid() {
			t.Errorf("area %s has unknown layer %q", a.ID, a.Layer)
		}
		perLayer[a.Layer]++
	}
	for _, l := range demarc.Layers {
		if perLayer[l] == 0 {
			t.Errorf("layer %s has no area", l)
		}
	}
}

// Every model must say something about every area: a hole in a built-in
// model would surface as "unassigned" in every user's matrix.
func TestModelsAssignEveryArea(t *testing.T) {
	lib := builtin(t)
	if n := len(lib.Models()); n != 6 {
		t.Fatalf("models = %d, want 6", n)
	}
	for _, m := range lib.Models() {
		got := map[demarc.AreaID]demarc.Rule{}
		for _, r := range m.Defaults {
			got[r.Area] = r
		}
		for _, a := range lib.Areas() {
			r, ok := got[a.ID]
			if !ok {
				t.Errorf("model %s: no default for %s", m.ID, a.ID)
				continue
			}
			if r.Owner == demarc.OwnerShared && (r.Provider == "" || r.Customer == "" || !r.Sharing.Valid()) {
				t.Errorf("model %s: shared %s needs sharing, provider and customer parts", m.ID, a.ID)
			}
		}
	}
}

// The defaults must follow the published models: the customer owns all on
// premises; the provider owns the facility in every cloud model; the
// customer keeps data classification everywhere; policy and training are
// shared independently in the cloud.
func TestModelDefaultsFollowPublishedModels(t *testing.T) {
	lib := builtin(t)
	owner := func(m demarc.Model, a demarc.AreaID) demarc.Rule {
		for _, r := range lib.Model(m).Defaults {
			if r.Area == a {
				return r
			}
		}
		t.Fatalf("model %s has no %s", m, a)
		return demarc.Rule{}
	}
	cases := []struct {
		model   demarc.Model
		area    demarc.AreaID
		owner   demarc.Owner
		sharing demarc.Sharing
	}{
		{demarc.ModelOnPrem, "facility.physical-security", demarc.OwnerCustomer, ""},
		{demarc.ModelIaaS, "facility.physical-security", demarc.OwnerProvider, ""},
		{demarc.ModelIaaS, "os.patching", demarc.OwnerCustomer, ""},
		{demarc.ModelIaaS, "virt.hypervisor-patching", demarc.OwnerProvider, ""},
		{demarc.ModelCaaS, "container.orchestrator", demarc.OwnerProvider, ""},
		{demarc.ModelCaaS, "os.patching", demarc.OwnerShared, demarc.SharingDependent},
		{demarc.ModelPaaS, "os.patching", demarc.OwnerProvider, ""},
		{demarc.ModelPaaS, "app.secure-development", demarc.OwnerCustomer, ""},
		{demarc.ModelFaaS, "runtime.patching", demarc.OwnerShared, demarc.SharingDependent},
		{demarc.ModelSaaS, "app.secure-development", demarc.OwnerProvider, ""},
		{demarc.ModelSaaS, "data.classification", demarc.OwnerCustomer, ""},
		{demarc.ModelSaaS, "identity.account-lifecycle", demarc.OwnerCustomer, ""},
		{demarc.ModelSaaS, "endpoint.device-security", demarc.OwnerCustomer, ""},
		{demarc.ModelIaaS, "gov.awareness-training", demarc.OwnerShared, demarc.SharingIndependent},
		{demarc.ModelSaaS, "gov.personnel-security", demarc.OwnerShared, demarc.SharingIndependent},
		{demarc.ModelOnPrem, "identity.provider-personnel-access", demarc.OwnerNotApplicable, ""},
	}
	for _, c := range cases {
		r := owner(c.model, c.area)
		if r.Owner != c.owner || r.Sharing != c.sharing {
			t.Errorf("%s %s = %s/%s, want %s/%s", c.model, c.area, r.Owner, r.Sharing, c.owner, c.sharing)
		}
	}
}

func TestProvidersAndServices(t *testing.T) {
	lib := builtin(t)
	for _, id := range []demarc.ProviderID{"aws", "azure", "gcp"} {
		p := lib.Provider(id)
		if p == nil {
			t.Errorf("provider %s missing", id)
			continue
		}
		if n := len(p.Services); n < 20 {
			t.Errorf("provider %s has %d services, want at least 20", id, n)
		}
		models := map[demarc.Model]bool{}
		for _, s := range p.Services {
			models[s.Model] = true
		}
		for _, m := range []demarc.Model{demarc.ModelIaaS, demarc.ModelCaaS, demarc.ModelPaaS, demarc.ModelFaaS} {
			if !models[m] {
				t.Errorf("provider %s has no %s service", id, m)
			}
		}
	}
	saas := 0
	for _, p := range lib.Providers() {
		if p.Kind == "saas" {
			saas += len(p.Services)
		}
	}
	if saas < 3 {
		t.Errorf("SaaS products = %d, want at least 3", saas)
	}
	for _, m := range lib.Models() {
		s := lib.Service(demarc.ServiceID("generic/" + string(m.ID)))
		if s == nil || s.Model != m.ID || len(s.Overrides) > 0 {
			t.Errorf("generic/%s must exist with model %s and no overrides", m.ID, m.ID)
		}
	}
}

func TestServiceOverridesDifferFromModel(t *testing.T) {
	lib := builtin(t)
	for _, s := range lib.Services() {
		for _, r := range s.Overrides {
			if r.Owner == demarc.OwnerShared && (r.Provider == "" || r.Customer == "") {
				t.Errorf("%s %s: shared rule without both parts (%s)", s.ID, r.Area, r.Pos)
			}
		}
	}
}

func TestFrameworks(t *testing.T) {
	lib := builtin(t)
	want := map[demarc.FrameworkID]int{
		"nist-800-53-r5": 1000, "iso-27001-2022": 93, "iso-27017": 37, "soc2": 61,
		"hipaa-security": 40, "pci-dss-4": 250, "cis-v8": 153, "csa-ccm-v4": 197,
	}
	for id, min := range want {
		fw := lib.Framework(id)
		if fw == nil {
			t.Errorf("framework %s missing", id)
			continue
		}
		n := 0
		for _, c := range fw.Controls {
			if c.Withdrawn {
				continue
			}
			n++
			if len(c.Areas) == 0 {
				t.Errorf("%s %s maps to no area", id, c.ID)
			}
		}
		if n < min {
			t.Errorf("%s has %d controls, want at least %d", id, n, min)
		}
	}
	if n := countControls(lib.Framework("csa-ccm-v4")); n != 197 {
		t.Errorf("csa-ccm-v4 has %d controls, want exactly 197", n)
	}
}

func countControls(fw *demarc.Framework) int {
	if fw == nil {
		return 0
	}
	return len(fw.Controls)
}

// The built-in 800-53 must hold exactly the controls and enhancements of
// NIST's own OSCAL catalog, with withdrawn ones marked as NIST marks them.
func TestNIST80053MatchesCatalog(t *testing.T) {
	path := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Catalog struct {
			Groups []struct {
				Controls []catalogControl `json:"controls"`
			} `json:"groups"`
		} `json:"catalog"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	catalog := map[string]bool{} // id -> withdrawn
	var walk func([]catalogControl)
	walk = func(cs []catalogControl) {
		for _, c := range cs {
			catalog[c.ID] = c.withdrawn()
			walk(c.Controls)
		}
	}
	for _, g := range doc.Catalog.Groups {
		walk(g.Controls)
	}
	fw := builtin(t).Framework("nist-800-53-r5")
	ours := map[string]bool{}
	for _, c := range fw.Controls {
		ours[string(c.ID)] = c.Withdrawn
	}
	for id, withdrawn := range catalog {
		w, ok := ours[id]
		switch {
		case !ok:
			t.Errorf("catalog control %s is missing from nist-800-53-r5", id)
		case w != withdrawn:
			t.Errorf("%s: withdrawn = %v, catalog says %v", id, w, withdrawn)
		}
	}
	for id := range ours {
		if _, ok := catalog[id]; !ok {
			t.Errorf("nist-800-53-r5 has %s, which NIST's catalog does not", id)
		}
	}
	if len(catalog) < 1000 {
		t.Fatalf("catalog read %d controls; the file looks wrong", len(catalog))
	}
}

type catalogControl struct {
	ID    string `json:"id"`
	Props []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"props"`
	Controls []catalogControl `json:"controls"`
}

func (c catalogControl) withdrawn() bool {
	for _, p := range c.Props {
		if p.Name == "status" && strings.EqualFold(p.Value, "withdrawn") {
			return true
		}
	}
	return false
}
