package library_test

import (
	"testing"

	"github.com/demarc-io/demarc/library"
)

func TestBuiltinLoads(t *testing.T) {
	lib, err := library.Builtin()
	if err != nil {
		t.Fatalf("built-in library: %v", err)
	}
	if n := len(lib.Areas()); n < 45 {
		t.Errorf("areas = %d, want at least 45", n)
	}
}
