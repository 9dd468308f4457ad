package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every example validates, and resolves to a full matrix for every
// framework it lists.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least five examples, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		rel := "examples/" + filepath.Base(f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, stderr, code := runCLI(t, "validate", rel); code != 0 {
				t.Fatalf("validate: %s", stderr)
			}
			stdout, stderr, code := runCLI(t, "matrix", "--system", rel, "--format", "json")
			if code != 0 {
				t.Fatalf("matrix: %s", stderr)
			}
			var m struct {
				Controls []struct {
					ID       string            `json:"id"`
					Owner    string            `json:"owner"`
					Provider []json.RawMessage `json:"provider"`
					Customer []json.RawMessage `json:"customer"`
				} `json:"controls"`
			}
			if err := json.Unmarshal([]byte(stdout), &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Controls) == 0 {
				t.Fatal("empty matrix")
			}
			for _, c := range m.Controls {
				if c.Owner == "shared" && (len(c.Provider) == 0 && len(c.Customer) == 0) {
					t.Errorf("%s is shared but lists no parts", c.ID)
				}
			}
		})
	}
}

// The terminal table fits 100 columns.
func TestTableFits100Columns(t *testing.T) {
	stdout, stderr, code := runCLI(t, "matrix", "--system", "examples/gcp-kubernetes-platform.yaml")
	if code != 0 {
		t.Fatal(stderr)
	}
	for i, line := range strings.Split(stdout, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
		}
	}
}
