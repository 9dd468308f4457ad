package oscal

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// seedFiles are small real documents, whole and cut short.
func seedFiles(f *testing.F, paths ...string) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // reference data absent: the other seeds remain
		}
		f.Add(filepath.Base(p), data)
		f.Add(filepath.Base(p), data[:len(data)/2])
		f.Add(filepath.Base(p), data[:len(data)/7])
	}
}

// dataFile is a reference file, or a path that does not exist when the
// reference data is absent.
func dataFile(rel string) string {
	return filepath.Join(realdata.Dir(), "oscal", rel)
}

var seeds = []string{
	"testdata/abc_catalog.json", "testdata/select_profile.json", "testdata/include_all_profile.yaml",
	"testdata/broken_leveraging_ssp.json", "testdata/embedded_profile.json",
	dataFile("nist/examples/basic-catalog.json"), dataFile("nist/examples/ssp-example.yaml"),
	dataFile("nist/examples/example-component-definition.json"), dataFile("trestle/leveraging_ssp.json"),
}

// The JSON parser accepts exactly the documents a general RFC 7493 parser
// accepts, and reads the same values from them.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":1,"a":2}`, `"\ud800"`, `"\ud83d\ude00"`, `-0.5e+3`, `01`, `[1,]`, `{"a":"\u00e9\n"}`, "\"\xff\"", `nul`, `{"a" 1}`, "  \n{\"x\": [true, false, null]}\n "} {
		f.Add("x.json", []byte(s))
	}
	seedFiles(f, seeds...)
	f.Fuzz(func(t *testing.T, _ string, data []byte) {
		got, err := parseJSON("x.json", data)
		valid := jsontext.Value(data).IsValid() && depth(data) <= maxDepth
		if (err == nil) != valid {
			t.Fatalf("parse error %v, but the reference says valid=%v for %q", err, valid, data)
		}
		if err != nil {
			var ps demarc.Problems
			if !errorsAs(err, &ps) || len(ps) != 1 || ps[0].Pos.Line < 1 {
				t.Fatalf("error %v is not one problem with a line", err)
			}
			return
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("encoding/json rejects what both accept: %v", err)
		}
		if !reflect.DeepEqual(plain(got), want) {
			t.Fatalf("values differ:\n got  %#v\n want %#v", plain(got), want)
		}
		if lines := bytes.Count(data, []byte{'\n'}) + 1; int(got.line) > lines {
			t.Fatalf("line %d beyond the %d lines of the input", got.line, lines)
		}
	})
}

func errorsAs(err error, ps *demarc.Problems) bool {
	for err != nil {
		if p, ok := err.(demarc.Problems); ok {
			*ps = p
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// depth is the deepest nesting of arrays and objects in JSON text.
func depth(data []byte) int {
	d, most := 0, 0
	in, esc := false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && (c == '{' || c == '['):
			d++
			most = max(most, d)
		case !in && (c == '}' || c == ']'):
			d--
		}
	}
	return most - 1
}

// Reading any input, JSON or YAML, never panics; what it returns is
// coherent: a document or an error, problems that name the file.
func FuzzRead(f *testing.F) {
	seedFiles(f, seeds...)
	f.Add("x.yaml", []byte("catalog: &a\n  x: *a\n"))
	f.Add("x.yaml", []byte("a: &a [*a, *a]\nb: [*a, *a]\n"))
	f.Add("x.json", []byte(`{"catalog": {"metadata": {"oscal-version": "1.9.9"}}}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".yaml") {
			name = "x.yaml"
		}
		doc, problems, err := Read(name, data)
		if err != nil {
			if doc != nil || demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error %v with document %v", err, doc)
			}
			return
		}
		if doc == nil || doc.OSCAL == nil {
			t.Fatal("no document and no error")
		}
		for _, p := range problems {
			if p.Pos.File != name || p.Pos.Line < 0 || p.Message == "" {
				t.Fatalf("incoherent problem %+v", p)
			}
		}
		if rep := Validate(name, data, nil); len(rep.Problems) < len(problems) {
			t.Fatalf("Validate found %d problems, Read %d", len(rep.Problems), len(problems))
		}
	})
}

// The compiled schema judges any variation of the seed documents as a
// general-purpose JSON Schema engine does.
func FuzzSchemaAgreesWithReference(f *testing.F) {
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil && strings.HasSuffix(s, ".json") {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		doc, _, err := Read("x.json", data)
		if err != nil || doc.SchemaVersion == "" || !looksLikeJSON("x.json", data) {
			return
		}
		var top map[string]any
		if json.Unmarshal(data, &top) != nil {
			return
		}
		agree(t, "x.json", data)
	})
}

// Importing any profile beside the test catalog never panics: it yields a
// framework or an error.
func FuzzImportProfile(f *testing.F) {
	for _, s := range []string{"testdata/select_profile.json", "testdata/nested_profile.json", "testdata/include_all_profile.yaml", "testdata/bad_pattern_profile.json", "testdata/cycle_a_profile.json"} {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	catalog, err := os.ReadFile("testdata/abc_catalog.json")
	if err != nil {
		f.Fatal(err)
	}
	lib := builtin(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for name, content := range map[string][]byte{"abc_catalog.json": catalog, "select_profile.json": data, "cycle_b_profile.json": data} {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fw, _, err := ImportFramework(filepath.Join(dir, "select_profile.json"), lib, ImportOptions{})
		if (fw == nil) == (err == nil) {
			t.Fatalf("framework %v with error %v", fw, err)
		}
		if err == nil && len(fw.Controls) == 0 {
			t.Fatal("a framework without controls")
		}
	})
}
