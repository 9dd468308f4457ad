package web

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The composer reads two kinds of outside input: the posted form, and a
// stored document (anyone with the API can store any YAML). Neither may
// panic, and whatever the form turns into must be YAML that parses.
func FuzzSystemForm(f *testing.F) {
	f.Add("name=shop&components.0.name=api&components.0.service=aws%2Flambda&components.1.name=db&components.1.runs_on=api&teams.0.name=ops&teams.0.responsible=os.*")
	f.Add("name=x&overrides.0.area=data.backup&overrides.0.owner=customer&overrides.0.duties=implement%3Dprovider%2C+verify%3Dcustomer&extra=contracts%3A+%5B%5D")
	f.Add("components.499.name=last&assumptions.3.area=a&frameworks=soc2&frameworks=&regulations=gdpr,+hipaa")
	f.Add("extra=%3A%3A%3A&components.-1.name=x&components.1e9.name=y")
	f.Fuzz(func(t *testing.T, query string) {
		form, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		doc, _, problems := readSystemForm(form).document()
		if len(problems) > 0 {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
			t.Fatalf("the form made YAML that does not parse: %v\n%s", err, doc)
		}
	})
}

// FuzzFormFromYAML reads stored documents into the form; a document the
// form can hold comes back out as YAML that parses.
func FuzzFormFromYAML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("name: x\ncomponents: 5\n")
	f.Add("- a\n- b\n")
	f.Add("name: &a [*a]\n")
	f.Add("overrides:\n  - area: a\n    duties: {implement: provider, verify: [x]}\n")
	f.Fuzz(func(t *testing.T, content string) {
		if len(content) > 64<<10 {
			return
		}
		form, _, why := formFromYAML(content)
		if why != "" || form == nil {
			return
		}
		doc, _, problems := form.document()
		if len(problems) > 0 {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
			t.Fatalf("a stored document read into the form came back as YAML that does not parse: %v\n%s", err, doc)
		}
	})
}
