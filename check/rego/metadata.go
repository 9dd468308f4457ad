package rego

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// Default severities of rules whose metadata names none: a deny or
// violation fails a conftest run, a warning does not.
const (
	DefaultFailureSeverity = check.SeverityHigh
	DefaultWarningSeverity = check.SeverityLow
)

// meta is what a rule's METADATA says, most specific annotation first.
type meta struct {
	title, description, remediation string
	// titleScope is the scope the title came from.
	titleScope  string
	severity    check.Severity
	areas       []demarc.AreaID
	types       []string
	references  []string
	hasAreas    bool
	hasTypes    bool
	hasSeverity bool
}

// policyOf makes the check.Policy of a rule from the METADATA annotations
// that apply to it — the rule's own, then its document's, package's and
// parent packages' — the nearest one deciding each field. The fields read:
//
//	title, description, related_resources   the standard ones
//	custom.areas        responsibility areas the rule evidences (a list)
//	custom.severity     low, medium, high or critical (any case)
//	custom.remediation  what to do about a finding
//	custom.types        resource types the rule checks ("*" matches any run)
func policyOf(r *regoRule, set *ast.AnnotationSet, o LoadOptions) (*check.Policy, []string, demarc.Problems) {
	m, problems := readMeta(r, set, o)
	id := r.pkg.name + "." + r.name
	p := &check.Policy{
		ID:          id,
		Title:       m.title,
		Severity:    m.severity,
		Areas:       m.areas,
		Message:     m.description,
		Remediation: m.remediation,
		References:  m.references,
		Pos:         position(r.defs[0].Location),
	}
	switch {
	case p.Title == "":
		p.Title = id
	case m.titleScope == "package" || m.titleScope == "subpackages":
		p.Title = m.title + ": " + r.name
	}
	if p.Message == "" {
		p.Message = p.Title
	}
	if p.Remediation == "" {
		p.Remediation = "see the message of each finding of " + r.query()
	}
	if p.Areas == nil {
		p.Areas = []demarc.AreaID{}
	}
	if !m.hasSeverity {
		p.Severity = DefaultFailureSeverity
		if r.warning {
			p.Severity = DefaultWarningSeverity
		}
	}
	return p, m.types, problems
}

func readMeta(r *regoRule, set *ast.AnnotationSet, o LoadOptions) (meta, demarc.Problems) {
	var m meta
	var problems demarc.Problems
	for _, ref := range chain(r, set) {
		a := ref.Annotations
		if a == nil {
			continue
		}
		if m.title == "" && a.Title != "" {
			m.title, m.titleScope = a.Title, a.Scope
		}
		if m.description == "" {
			m.description = a.Description
		}
		if m.references == nil {
			for _, rr := range a.RelatedResources {
				if rr != nil && rr.Ref.String() != "" {
					m.references = append(m.references, rr.Ref.String())
				}
			}
		}
		problems = append(problems, m.readCustom(a, r, o)...)
	}
	return m, problems
}

// chain is the annotations that apply to a rule, nearest first. A rule
// defined in several bodies takes the first body's that has its own.
func chain(r *regoRule, set *ast.AnnotationSet) ast.AnnotationsRefSet {
	def := r.defs[0]
	for _, d := range r.defs {
		if len(set.GetRuleScope(d)) > 0 {
			def = d
			break
		}
	}
	return set.Chain(def)
}

// readCustom reads the custom fields demarc knows from one annotation,
// where no nearer one has set them.
func (m *meta) readCustom(a *ast.Annotations, r *regoRule, o LoadOptions) demarc.Problems {
	if a.Custom == nil {
		return nil
	}
	var problems demarc.Problems
	bad := func(field, format string, args ...any) {
		problems = append(problems, demarc.Problem{Pos: position(a.Location), Field: "custom." + field,
			Message: fmt.Sprintf("%s: ", r.query()) + fmt.Sprintf(format, args...)})
	}
	if v, ok := a.Custom["areas"]; ok && !m.hasAreas {
		m.hasAreas = true
		areas, ok := stringList(v)
		if !ok {
			bad("areas", "expected a list of area ids such as data.encryption-at-rest")
		}
		for _, s := range areas {
			id := demarc.AreaID(s)
			if o.KnownArea != nil && !o.KnownArea(id) {
				bad("areas", "unknown area %q; see 'demarc library areas' for the ids (the rule runs without it)", s)
				continue
			}
			m.areas = append(m.areas, id)
		}
	}
	if v, ok := a.Custom["severity"]; ok && !m.hasSeverity {
		s, _ := v.(string)
		sev := check.Severity(strings.ToLower(s))
		if sev.Rank() == 0 {
			bad("severity", "unknown severity %v; expected low, medium, high or critical", v)
		} else {
			m.severity, m.hasSeverity = sev, true
		}
	}
	if v, ok := a.Custom["remediation"]; ok && m.remediation == "" {
		if s, ok := v.(string); ok {
			m.remediation = s
		} else {
			bad("remediation", "expected text")
		}
	}
	if v, ok := a.Custom["types"]; ok && !m.hasTypes {
		m.hasTypes = true
		types, ok := stringList(v)
		if !ok {
			bad("types", "expected a list of resource types such as aws_s3_bucket or apps/v1/Deployment")
		}
		m.types = types
	}
	return problems
}

// stringList reads a list of strings, or one string as a list of one.
func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, x != ""
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok || s == "" {
				return out, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
