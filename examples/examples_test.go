package examples

import (
	"testing"

	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/systemfile"
)

// Every embedded example parses and checks against the built-in library
// with its registers.
func TestSystems(t *testing.T) {
	systems, err := Systems()
	if err != nil {
		t.Fatal(err)
	}
	if len(systems) < 5 {
		t.Fatalf("%d examples, want at least 5", len(systems))
	}
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	registers := 0
	for _, s := range systems {
		sys, err := systemfile.Parse(s.Name, s.Content)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if len(sys.AttestationFiles) != len(s.Registers) {
			t.Errorf("%s names %d registers, got %d", s.Name, len(sys.AttestationFiles), len(s.Registers))
		}
		registers += len(s.Registers)
		for _, r := range s.Registers {
			as, err := systemfile.ParseRegister(r.Name, r.Content)
			if err != nil {
				t.Errorf("%s: %v", r.Name, err)
			}
			sys.Attestations = append(sys.Attestations, as...)
		}
		if err := systemfile.Check(sys, lib).Err(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	if registers == 0 {
		t.Error("no example names an attestation register")
	}
}
