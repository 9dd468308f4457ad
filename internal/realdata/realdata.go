// Package realdata finds the public reference files (NIST and FedRAMP
// OSCAL content, provider baselines, real configuration files) that tests
// read. They live in a "shared/data" folder beside the repository, or
// wherever DEMARC_DATA points.
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the absolute path of rel inside the data folder. When the
// folder cannot be found the test is skipped — or fails, when
// DEMARC_REQUIRE_DATA is set, as it is in CI.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir := Dir()
	if dir == "" {
		if os.Getenv("DEMARC_REQUIRE_DATA") != "" {
			t.Fatalf("reference data not found: set DEMARC_DATA to the shared data folder")
		}
		t.Skip("reference data not found; set DEMARC_DATA to run this test")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("reference file missing: %v", err)
	}
	return p
}

// Dir returns the data folder: $DEMARC_DATA, or the first "shared/data"
// found walking up from the working directory; "" when there is none.
func Dir() string {
	if d := os.Getenv("DEMARC_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "shared", "data"), filepath.Join(d, "..", "shared", "data")} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				abs, _ := filepath.Abs(c)
				return abs
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
