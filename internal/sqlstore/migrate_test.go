package sqlstore

import (
	"strings"
	"testing"
)

// Every dialect gets every version, rendered with its own types and no
// placeholder left over.
func TestMigrations(t *testing.T) {
	var counts []int
	for _, d := range []Dialect{{Name: "sqlite", Bytes: "BLOB"}, {Name: "postgres", Bytes: "BYTEA"}} {
		steps, err := Migrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if len(steps) == 0 {
			t.Fatalf("%s: no migrations", d.Name)
		}
		for i, m := range steps {
			if m.Version != i+1 || m.Name == "" {
				t.Errorf("%s: step %d is %04d_%s", d.Name, i, m.Version, m.Name)
			}
			if strings.Contains(m.SQL, "{{") {
				t.Errorf("%s: %04d_%s keeps a placeholder", d.Name, m.Version, m.Name)
			}
		}
		if !strings.Contains(steps[0].SQL, " "+d.Bytes+" NOT NULL") {
			t.Errorf("%s: binary columns are not %s", d.Name, d.Bytes)
		}
		counts = append(counts, len(steps))
	}
	if counts[0] != counts[1] {
		t.Errorf("the dialects have %v migrations: schema versions would mean different things", counts)
	}
}

func TestRender(t *testing.T) {
	if _, err := render("CREATE TABLE t (x {{uuid}})", Dialect{Bytes: "BLOB"}); err == nil || !strings.Contains(err.Error(), "{{uuid}}") {
		t.Errorf("an unknown placeholder: %v", err)
	}
}

func TestCursor(t *testing.T) {
	for _, ok := range []string{"", "doc_01jd8x", "org_abc"} {
		if _, err := cursor(ok); err != nil {
			t.Errorf("cursor %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"' OR 1=1", "DOC_X", "a b", strings.Repeat("a", 65), "doc_é"} {
		if _, err := cursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}
