package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
)

// SnippetParser reads a configuration snippet in a named format
// (terraform, cloudformation, kubernetes …) into a snapshot, as the input
// side does for files.
type SnippetParser func(name, format string, data []byte) (*demarc.Snapshot, error)

// ExampleResult is the outcome of one policy example.
type ExampleResult struct {
	Policy  *Policy
	Example *Example
	// Got is the policy's verdict on the example: fail if any matching
	// resource fails, else indeterminate if any is, else pass if any
	// passes, else not-applicable.
	Got Status
	// OK is true when Got is what the example expects.
	OK bool
	// Skipped is true when the example is a snippet and no parser was
	// given; Detail says why.
	Skipped bool
	Detail  string
}

// RunExamples evaluates every example of every policy in set. parse reads
// snippet examples; when it is nil they are skipped.
func RunExamples(ctx context.Context, set *PolicySet, parse SnippetParser) []ExampleResult {
	var out []ExampleResult
	for _, p := range set.policies {
		only := set.only(p)
		for i := range p.Examples {
			out = append(out, runExample(ctx, only, p, &p.Examples[i], parse))
		}
	}
	return out
}

// only returns the subset of s that holds p alone.
func (s *PolicySet) only(p *Policy) *PolicySet {
	sub := &PolicySet{policies: []*Policy{p}}
	for _, r := range s.rules {
		if r.policy == p {
			sub.rules = append(sub.rules, r)
		}
	}
	return sub
}

func runExample(ctx context.Context, set *PolicySet, p *Policy, ex *Example, parse SnippetParser) ExampleResult {
	res := ExampleResult{Policy: p, Example: ex}
	var snap *demarc.Snapshot
	var subject *demarc.Resource
	switch {
	case ex.Resource != nil:
		snap = ExampleSnapshot(ex)
		subject = &snap.Resources[0]
	case parse == nil:
		res.Skipped, res.Detail = true, "no reader for "+ex.Format+" snippets"
		return res
	default:
		var err error
		snap, err = parse(ex.Pos.String(), ex.Format, []byte(ex.Input))
		if err != nil {
			res.Detail = "the input does not parse: " + err.Error()
			return res
		}
		if len(snap.Problems) > 0 {
			res.Detail = "the input does not parse: " + snap.Problems.Error()
			return res
		}
	}
	res.Got, res.Detail = Verdict(ctx, NewEngine(set, Options{Workers: 1}), p, snap, subject)
	res.OK = res.Got == ex.Expect
	return res
}

// Verdict evaluates policy p over snap with ev and sums up its results:
// fail if any resource fails, else indeterminate if any is, else pass if
// any passes, else not-applicable. With subject set, only that resource
// counts. detail gives the reasons of fail and indeterminate results.
func Verdict(ctx context.Context, ev Evaluator, p *Policy, snap *demarc.Snapshot, subject *demarc.Resource) (got Status, detail string) {
	counts := map[Status]int{}
	var reasons []string
	err := CheckSnapshots(ctx, ev, []*demarc.Snapshot{snap}, func(b Batch) {
		for _, r := range b.Results {
			if r.Policy.ID != p.ID || (subject != nil && r.Resource != subject) {
				continue
			}
			counts[r.Status]++
			switch r.Status {
			case Indeterminate:
				reasons = append(reasons, r.Resource.ID+": "+r.Reason)
			case Fail:
				reasons = append(reasons, r.Resource.ID+": "+valueList(r.Values()))
			}
		}
	})
	if err != nil {
		return Indeterminate, err.Error()
	}
	for _, s := range []Status{Fail, Indeterminate, Pass} {
		if counts[s] > 0 {
			return s, strings.Join(reasons, "; ")
		}
	}
	return NotApplicable, fmt.Sprintf("no resource of the types %s", strings.Join(p.Types(), ", "))
}

func valueList(vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}

// ExampleSnapshot returns the snapshot an inline example stands for: its
// resource first (id "example"), then its related resources, linked both
// ways. It returns nil for a snippet example.
func ExampleSnapshot(ex *Example) *demarc.Snapshot {
	if ex.Resource == nil {
		return nil
	}
	er := ex.Resource
	format := er.Format
	if format == "" {
		format = guessFormat(er.Type)
	}
	main := demarc.Resource{
		ID: "example", Type: er.Type, Name: "example", Format: format,
		Attributes: er.Attributes, Unknown: er.Unknown, Sensitive: er.Sensitive,
		Pos: ex.Pos,
	}
	snap := &demarc.Snapshot{File: ex.Pos.File, Format: format}
	var related []demarc.Resource
	for _, typ := range sortedKeys(anyMap(er.Related)) {
		for i, attrs := range er.Related[typ] {
			id := fmt.Sprintf("%s.related%d", typ, i)
			related = append(related, demarc.Resource{ID: id, Type: typ, Name: id, Format: format, Attributes: attrs, Related: map[string][]string{er.Type: {"example"}}})
			if main.Related == nil {
				main.Related = map[string][]string{}
			}
			main.Related[typ] = append(main.Related[typ], id)
		}
	}
	snap.Resources = append([]demarc.Resource{main}, related...)
	return snap
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// guessFormat names the format a resource type comes from.
func guessFormat(typ string) string {
	switch {
	case strings.Contains(typ, "::"):
		return "cloudformation"
	case strings.Contains(typ, "/"):
		return "kubernetes"
	}
	return "terraform"
}
