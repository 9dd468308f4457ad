package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// Every demarc command the README shows must work as written.
func TestReadmeCommands(t *testing.T) {
	for _, doc := range []string{"README.md", "docs/analysis.md"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range commandLines(string(data)) {
			t.Run(doc+": "+line, func(t *testing.T) {
				if strings.HasPrefix(line, "serve") {
					t.Skip("a long-running server; cmd/demarc/serve_test.go starts it")
				}
				args, expect := prepare(t, strings.Fields(line))
				_, stderr, code := runCLI(t, args...)
				if code != expect {
					t.Errorf("exit %d, want %d: %s", code, expect, stderr)
				}
			})
		}
	}
}

// commandLines returns the demarc invocations inside ``` blocks, without
// the "go run ./cmd/demarc" or "demarc" prefix, shell redirections and
// comments.
func commandLines(text string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			in = !in
			continue
		}
		if !in {
			continue
		}
		for _, prefix := range []string{"go run ./cmd/demarc ", "demarc "} {
			if rest, ok := strings.CutPrefix(t, prefix); ok {
				if i := strings.Index(rest, " #"); i >= 0 {
					rest = rest[:i]
				}
				if i := strings.Index(rest, " >"); i >= 0 {
					rest = rest[:i]
				}
				out = append(out, strings.TrimSpace(rest))
			}
		}
	}
	return out
}

// prepare points output files into a temporary folder, skips commands on
// files the README only names as placeholders, and says which exit code
// the command promises.
func prepare(t *testing.T, args []string) ([]string, int) {
	expect := 0
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "-o" || a == "--output") && i+1 < len(args) {
			out = append(out, a, filepath.Join(t.TempDir(), filepath.Base(args[i+1])))
			i++
			continue
		}
		if a == "--fail-on" {
			expect = 3
		}
		if rest, ok := strings.CutPrefix(a, "../shared/data/"); ok {
			a = sharedData(t, rest)
		}
		if strings.ContainsAny(a, "*?") {
			matches, _ := filepath.Glob(filepath.Join(repoRoot, a))
			for _, m := range matches {
				rel, _ := filepath.Rel(repoRoot, m)
				out = append(out, rel)
			}
			continue
		}
		out = append(out, a)
	}
	return out, expect
}

// sharedData maps a README path into the public reference data, skipping
// the command where that data is not present.
func sharedData(t *testing.T, rel string) string {
	dir := realdata.Dir()
	if dir == "" {
		t.Skip("reference data not found; set DEMARC_DATA to run this command")
	}
	return filepath.Join(dir, rel)
}
