package ssp_test

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/oscal/ssp"
)

var (
	officialOnce   sync.Once
	officialSchema *jsonschema.Schema
	officialErr    error
)

// official compiles NIST's OSCAL 1.1.3 complete schema from the reference
// data, not from the copy go-oscal embeds, so that the tests check the
// writers against an independent source.
func official(t testing.TB) *jsonschema.Schema {
	t.Helper()
	path := realdata.Path(t, "oscal/schema/oscal_complete_schema-1-1-3.json")
	officialOnce.Do(func() {
		c := jsonschema.NewCompiler()
		officialSchema, officialErr = c.Compile(path)
	})
	if officialErr != nil {
		t.Fatal(officialErr)
	}
	return officialSchema
}

// schemaErrors returns every schema violation of data, one line each.
func schemaErrors(t testing.TB, data []byte) []string {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	err = official(t).Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		t.Fatal(err)
	}
	var out []string
	collectLeaves(ve, &out)
	sort.Strings(out)
	return out
}

var printer = message.NewPrinter(language.English)

func collectLeaves(e *jsonschema.ValidationError, out *[]string) {
	if len(e.Causes) == 0 {
		*out = append(*out, "/"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(printer))
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

// mustValidate fails the test unless doc is valid OSCAL 1.1.3.
func mustValidate(t testing.TB, doc *oscal.OscalCompleteSchema) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ssp.Write(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if errs := schemaErrors(t, buf.Bytes()); len(errs) > 0 {
		if len(errs) > 20 {
			errs = append(errs[:20], "…")
		}
		os.WriteFile("/tmp/invalid.json", buf.Bytes(), 0o644)
		t.Fatalf("not valid OSCAL 1.1.3 (%d errors):\n%s", len(errs), strings.Join(errs, "\n"))
	}
	return buf.Bytes()
}

func decode(t testing.TB, data []byte) *oscal.OscalCompleteSchema {
	t.Helper()
	var doc oscal.OscalCompleteSchema
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}
