package check

import (
	"strings"

	"github.com/demarc-io/demarc"
)

// Severity ranks what a failing policy puts at risk.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, lowest first.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank orders severities: low 1 … critical 4; 0 for an unknown severity.
func (s Severity) Rank() int {
	for i, x := range Severities {
		if x == s {
			return i + 1
		}
	}
	return 0
}

// Status is the outcome of one policy on one resource.
type Status string

// Statuses of a result.
const (
	// Pass: the resource complies.
	Pass Status = "pass"
	// Fail: the resource does not comply.
	Fail Status = "fail"
	// Indeterminate: the answer depends on a value that is known only
	// after apply or on a reference that could not be resolved, or the
	// evaluation could not finish. It is never counted as a failure.
	Indeterminate Status = "indeterminate"
	// NotApplicable: the policy's "when" condition excludes the resource.
	NotApplicable Status = "not-applicable"
)

// Statuses lists every status in the order reports show them.
var Statuses = []Status{Fail, Indeterminate, Pass, NotApplicable}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Policy is one verifiable customer duty: what it checks, which areas it
// evidences, and per resource type the expression that decides.
type Policy struct {
	ID          string          `json:"id" yaml:"id"`
	Title       string          `json:"title" yaml:"title"`
	Severity    Severity        `json:"severity" yaml:"severity"`
	Areas       []demarc.AreaID `json:"areas" yaml:"areas"`
	Message     string          `json:"message" yaml:"message"`
	Remediation string          `json:"remediation" yaml:"remediation"`
	// Counterpart names an equivalent check elsewhere whose labelled
	// examples this policy must agree with, as a path relative to that
	// corpus (checks/cloud/aws/s3/block_public_acls.yaml).
	Counterpart string    `json:"counterpart,omitempty" yaml:"counterpart,omitempty"`
	References  []string  `json:"references,omitempty" yaml:"references,omitempty"`
	Rules       []Rule    `json:"rules" yaml:"rules"`
	Examples    []Example `json:"examples,omitempty" yaml:"examples,omitempty"`
	// Pos is where the policy is defined.
	Pos demarc.Position `json:"position" yaml:"-"`
}

// Types returns every resource type pattern the policy's rules match.
func (p *Policy) Types() []string {
	var out []string
	for _, r := range p.Rules {
		out = append(out, r.Types...)
	}
	return out
}

// Rule decides a policy for some resource types.
type Rule struct {
	// Types are resource type patterns; "*" matches any run of characters.
	Types []string `json:"types" yaml:"types"`
	// When, if set, is a CEL expression that is false for resources the
	// policy does not apply to.
	When string `json:"when,omitempty" yaml:"when,omitempty"`
	// Expr is a CEL expression that is true when the resource complies.
	Expr string          `json:"expr" yaml:"expr"`
	Pos  demarc.Position `json:"position" yaml:"-"`
}

// Example is a labelled input a policy must judge as expected: either a
// snippet in a configuration format, read by a SnippetParser, or one
// resource written out in the policy file.
type Example struct {
	Name   string `json:"name,omitempty" yaml:"name,omitempty"`
	Expect Status `json:"expect" yaml:"expect"`
	// Format and Input give a snippet (terraform, cloudformation,
	// kubernetes …).
	Format string `json:"format,omitempty" yaml:"format,omitempty"`
	Input  string `json:"input,omitempty" yaml:"input,omitempty"`
	// Resource gives the resource directly.
	Resource *ExampleResource `json:"resource,omitempty" yaml:"resource,omitempty"`
	Pos      demarc.Position  `json:"position" yaml:"-"`
}

// ExampleResource is a resource written inline in a policy example.
// Related lists, per type, the attributes of linked resources.
type ExampleResource struct {
	Type       string                      `json:"type" yaml:"type"`
	Format     string                      `json:"format,omitempty" yaml:"format,omitempty"`
	Attributes map[string]any              `json:"attributes" yaml:"attributes"`
	Unknown    []string                    `json:"unknown,omitempty" yaml:"unknown,omitempty"`
	Sensitive  []string                    `json:"sensitive,omitempty" yaml:"sensitive,omitempty"`
	Related    map[string][]map[string]any `json:"related,omitempty" yaml:"related,omitempty"`
}

// matchType reports whether typ matches pattern, where "*" in pattern
// matches any run of characters (including "/").
func matchType(pattern, typ string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == typ
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(typ, parts[0]) {
		return false
	}
	typ = typ[len(parts[0]):]
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(typ, p)
		if i < 0 {
			return false
		}
		typ = typ[i+len(p):]
	}
	return strings.HasSuffix(typ, parts[last])
}
