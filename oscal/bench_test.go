package oscal

import (
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// Loading NIST's MODERATE resolved catalog (3.9 MB): read, parse, check
// against the OSCAL 1.1.2 schema and decode into the Go types. The schema
// is compiled once, before the clock starts, as in a long-running process.
func BenchmarkLoadModerateCatalog(b *testing.B) {
	path := realdata.Path(b, "oscal/nist/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json")
	if _, err := Load(path); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

// Compiling one official schema: paid once per OSCAL version and process.
func BenchmarkCompileSchema(b *testing.B) {
	for b.Loop() {
		if _, err := compileVersion("1.1.2"); err != nil {
			b.Fatal(err)
		}
	}
}

// Resolving FedRAMP's MODERATE baseline against NIST's catalog into a
// framework with areas.
func BenchmarkImportFedRAMPModerate(b *testing.B) {
	profile := realdata.Path(b, "oscal/fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json")
	catalog := realdata.Path(b, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	lib := builtin(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ImportFramework(profile, lib, ImportOptions{Catalog: catalog}); err != nil {
			b.Fatal(err)
		}
	}
}
