package ssp_test

import (
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/resolve"
)

// moderate returns NIST SP 800-53 rev 5 cut to the controls of NIST's
// MODERATE baseline profile.
func moderate(b testing.TB, fw *demarc.Framework) *demarc.Framework {
	data, err := os.ReadFile(realdata.Path(b, "oscal/nist/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json"))
	if err != nil {
		b.Fatal(err)
	}
	var p struct {
		Profile struct {
			Imports []struct {
				IncludeControls []struct {
					WithIDs []string `json:"with-ids"`
				} `json:"include-controls"`
			} `json:"imports"`
		} `json:"profile"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		b.Fatal(err)
	}
	in := map[demarc.ControlID]bool{}
	for _, imp := range p.Profile.Imports {
		for _, ic := range imp.IncludeControls {
			for _, id := range ic.WithIDs {
				in[demarc.ControlID(id)] = true
			}
		}
	}
	out := *fw
	out.Controls = nil
	for _, c := range fw.Controls {
		if in[c.ID] {
			out.Controls = append(out.Controls, c)
		}
	}
	if len(out.Controls) < 250 {
		b.Fatalf("the MODERATE baseline has %d controls in the library's framework", len(out.Controls))
	}
	return &out
}

func benchmarkExport(b *testing.B, res *resolve.Resolution, fw *demarc.Framework) {
	b.ReportAllocs()
	for b.Loop() {
		doc, err := ssp.Export(res, fw, ssp.Options{LastModified: pinned})
		if err != nil {
			b.Fatal(err)
		}
		if err := ssp.Write(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

// The largest example system's plan for NIST's MODERATE baseline (287
// controls), built and written as indented JSON. The target is 200 ms.
func BenchmarkExportModerate(b *testing.B) {
	res := resolveExample(b, "gcp-kubernetes-platform.yaml")
	benchmarkExport(b, res, moderate(b, res.Library().Framework("nist-800-53-r5")))
}

// The same for every control of NIST SP 800-53 rev 5 that is not
// withdrawn (1,007).
func BenchmarkExportFull(b *testing.B) {
	res := resolveExample(b, "gcp-kubernetes-platform.yaml")
	benchmarkExport(b, res, res.Library().Framework("nist-800-53-r5"))
}

// A provider's leveraged plan of one service for all of NIST SP 800-53.
func BenchmarkLeveraged(b *testing.B) {
	lib := builtin(b)
	e := resolve.New(lib)
	fw := lib.Framework("nist-800-53-r5")
	b.ReportAllocs()
	for b.Loop() {
		doc, err := ssp.Leveraged(e, lib.Service("aws/eks"), fw, ssp.Options{LastModified: pinned})
		if err != nil {
			b.Fatal(err)
		}
		if err := ssp.Write(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

// Reading and importing NIST's prototype CSP plan (165 KB, 788 defects).
func BenchmarkReadImportPrototype(b *testing.B) {
	data, err := os.ReadFile(realdata.Path(b, "oscal/prototype-srm/example.ssp.csp.json"))
	if err != nil {
		b.Fatal(err)
	}
	lib := builtin(b)
	b.ReportAllocs()
	for b.Loop() {
		doc, err := ssp.Read("csp.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ssp.Import(lib, doc, ssp.ImportOptions{Model: demarc.ModelIaaS}); err != nil {
			b.Fatal(err)
		}
	}
}
