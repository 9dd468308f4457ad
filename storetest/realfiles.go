package storetest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// testRealFiles stores public reference files as documents — the NIST SP
// 800-53 catalog (3 MB), a resolved baseline, NIST's prototype
// shared-responsibility SSPs — and reads every version back byte for byte.
// The MODERATE catalog (3.9 MB) fits under MaxDocumentSize; nothing
// larger is accepted.
func testRealFiles(t *testing.T, h Harness) {
	files := []string{
		"oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json",
		"oscal/nist/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json",
		"oscal/prototype-srm/example.ssp.csp.json",
		"oscal/prototype-srm/example.ssp.app.json",
	}
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	var prev []byte
	var id demarc.DocumentID
	for i, rel := range files {
		data, err := os.ReadFile(realdata.Path(t, rel))
		must(t, err)
		var rev *demarc.Revision
		if i == 0 {
			rev, err = s.CreateDocument(c, a.by, a.org.ID, demarc.DocumentInput{Kind: demarc.DocProvider, Name: "nist", Content: data, Note: filepath.Base(rel)})
			id = rev.Document
		} else {
			rev, err = s.UpdateDocument(c, a.by, a.org.ID, id, i, demarc.DocumentInput{Name: "nist", Content: data, Note: filepath.Base(rel)})
		}
		must(t, err)
		equal(t, rel+" hash", rev.Hash, demarc.HashContent(data))
		if prev != nil {
			old, err := s.Revision(c, a.org.ID, id, i)
			must(t, err)
			if !bytes.Equal(old.Content, prev) {
				t.Fatalf("version %d changed after version %d was stored", i, i+1)
			}
		}
		back, err := s.Revision(c, a.org.ID, id, 0)
		must(t, err)
		if !bytes.Equal(back.Content, data) {
			t.Fatalf("%s does not read back as written", rel)
		}
		prev = data
	}
	e := lastEvent(t, s, a.org.ID)
	equal(t, "last event after", e.After, demarc.HashContent(prev))
	verified(t, s, a.org.ID)
}
