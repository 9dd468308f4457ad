package oscal

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

// A document imported from memory gives the framework the same file
// gives from disk; a profile's imports come from its back-matter or the
// stand-in catalog held in memory, never from the file system.
func TestImportFrameworkData(t *testing.T) {
	lib := builtin(t)
	read := func(name string) []byte {
		t.Helper()
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	catalog := read("abc_catalog.json")
	cases := []struct {
		name     string
		data     []byte
		opts     ImportOptions
		fromDisk func() (*demarc.Framework, []string, error)
		err      string
	}{
		{name: "abc_catalog.json", data: catalog,
			fromDisk: func() (*demarc.Framework, []string, error) {
				return ImportFramework("testdata/abc_catalog.json", lib, ImportOptions{})
			}},
		{name: "embedded_profile.json", data: read("embedded_profile.json"),
			fromDisk: func() (*demarc.Framework, []string, error) {
				return ImportFramework("testdata/embedded_profile.json", lib, ImportOptions{})
			}},
		{name: "select_profile.json", data: read("select_profile.json"), opts: ImportOptions{Catalog: "abc_catalog.json", CatalogData: catalog},
			fromDisk: func() (*demarc.Framework, []string, error) {
				return ImportFramework("testdata/select_profile.json", lib, ImportOptions{})
			}},
		{name: "remote_profile.json", data: read("remote_profile.json"), opts: ImportOptions{Catalog: "abc_catalog.json", CatalogData: catalog},
			fromDisk: func() (*demarc.Framework, []string, error) {
				return ImportFramework("testdata/remote_profile.json", lib, ImportOptions{Catalog: "testdata/abc_catalog.json"})
			}},
		// The catalog sits beside the profile on disk, but nothing outside
		// the document is read from memory.
		{name: "select_profile.json", data: read("select_profile.json"), err: "abc_catalog.json is outside the document"},
		{name: "catalog.json", data: catalog, opts: ImportOptions{Model: Profile}, err: "catalog.json is an OSCAL catalog; expected a profile"},
		{name: "broken.json", data: []byte(`{"catalog": `), err: "broken.json"},
	}
	for _, c := range cases {
		fw, _, err := ImportFrameworkData(c.name, c.data, lib, c.opts)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want, _, err := c.fromDisk()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fw.Controls, want.Controls) || fw.ID != want.ID || !reflect.DeepEqual(fw.Families, want.Families) {
			t.Errorf("%s: the framework read from memory differs from the one read from disk", c.name)
		}
	}
}
