package check

import (
	"sort"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// ControlState is what the checks say about one control of a framework.
type ControlState string

// Control states, from worst to least telling.
const (
	// ControlFailing: a check of the customer's part failed.
	ControlFailing ControlState = "failing"
	// ControlIndeterminate: no check failed, but some could not be
	// decided from the configuration (values known only after apply).
	ControlIndeterminate ControlState = "indeterminate"
	// ControlVerified: checks of the customer's part ran and all passed.
	// Areas no check covers are listed as still needing manual evidence.
	ControlVerified ControlState = "verified"
	// ControlManual: nothing in the configuration evidences the
	// customer's part; it needs manual evidence.
	ControlManual ControlState = "manual"
	// ControlNotApplicable: the customer has no part in the control.
	ControlNotApplicable ControlState = "not-applicable"
)

// ControlStates lists every state in report order.
var ControlStates = []ControlState{ControlFailing, ControlIndeterminate, ControlVerified, ControlManual, ControlNotApplicable}

// Report is the outcome of checking a system's configuration: a verdict
// per control of one framework, the results per resource, and the
// evidence record that lets an auditor trust it later.
type Report struct {
	System    string             `json:"system"`
	Framework demarc.FrameworkID `json:"framework"`
	Evidence  Evidence           `json:"evidence"`
	Summary   Summary            `json:"summary"`
	Controls  []ControlStatus    `json:"controls"`
	// Findings are the failing and indeterminate results, worst first.
	Findings  []Finding        `json:"findings"`
	Resources []ResourceReport `json:"resources"`
	Policies  []PolicySummary  `json:"policies"`
	// Problems are inputs or policies that could not be read; everything
	// else was still checked.
	Problems demarc.Problems `json:"problems,omitempty"`
	// Skipped are files found in folders that are no configuration format
	// demarc reads (a docker-compose file, a tag list).
	Skipped demarc.Problems `json:"skipped,omitempty"`
}

// Evidence records what was checked, when and with what, so that the
// report can be tied to exact inputs later.
type Evidence struct {
	GeneratedAt time.Time `json:"generated_at"`
	Tool        Tool      `json:"tool"`
	System      *Input    `json:"system,omitempty"`
	Inputs      []Input   `json:"inputs"`
	Policies    []Source  `json:"policy_files"`
}

// Tool names the program that produced a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Input is one file that was read, with its SHA-256 digest.
type Input struct {
	File      string `json:"file"`
	Format    string `json:"format,omitempty"`
	SHA256    string `json:"sha256"`
	Resources int    `json:"resources"`
}

// Summary counts controls per state and results per status.
type Summary struct {
	Controls  map[ControlState]int `json:"controls"`
	Results   map[Status]int       `json:"results"`
	Resources int                  `json:"resources"`
	Checked   int                  `json:"resources_checked"`
	Policies  int                  `json:"policies"`
}

// ControlStatus is the verdict on one control.
type ControlStatus struct {
	ID     demarc.ControlID `json:"id"`
	Title  string           `json:"title"`
	Family string           `json:"family,omitempty"`
	// Owner is who is responsible for the control in this system.
	Owner demarc.Owner `json:"owner"`
	State ControlState `json:"state"`
	// CustomerAreas are the control's areas in which the customer has a
	// part; only they need the customer's evidence.
	CustomerAreas []demarc.AreaID `json:"customer_areas"`
	// CheckedAreas are customer areas that checks evidenced; ManualAreas
	// the rest, which need manual evidence.
	CheckedAreas []demarc.AreaID `json:"checked_areas"`
	ManualAreas  []demarc.AreaID `json:"manual_areas"`
	Policies     []string        `json:"policies"`
	Results      map[Status]int  `json:"results"`
	// Failing names the failing results: policy, resource and place.
	Failing []FindingRef `json:"failing,omitempty"`
	Note    string       `json:"note,omitempty"`
}

// FindingRef points at a failing result from a control: the policy, the
// resource, where it is defined and the setting that failed.
type FindingRef struct {
	Policy   string          `json:"policy"`
	Resource string          `json:"resource"`
	Pos      demarc.Position `json:"position"`
	Setting  string          `json:"setting,omitempty"`
}

// Finding is a failing or indeterminate result, with what to do about it.
type Finding struct {
	Policy      string          `json:"policy"`
	Title       string          `json:"title"`
	Severity    Severity        `json:"severity"`
	Status      Status          `json:"status"`
	Resource    string          `json:"resource"`
	Type        string          `json:"type"`
	Pos         demarc.Position `json:"position"`
	Values      []Value         `json:"values,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	Message     string          `json:"message"`
	Remediation string          `json:"remediation"`
	Areas       []demarc.AreaID `json:"areas"`
}

// ResourceReport lists every check that ran on one resource.
type ResourceReport struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Format string          `json:"format"`
	Pos    demarc.Position `json:"position"`
	Checks []CheckReport   `json:"checks"`
}

// CheckReport is one policy's result on one resource, with the values it
// read.
type CheckReport struct {
	Policy   string   `json:"policy"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Values   []Value  `json:"values,omitempty"`
}

// PolicySummary counts one policy's results.
type PolicySummary struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Severity Severity        `json:"severity"`
	Areas    []demarc.AreaID `json:"areas"`
	Results  map[Status]int  `json:"results"`
	// Message says what the policy requires and Remediation how to
	// comply, so that a stored report renders SARIF and JUnit in full.
	Message     string `json:"message,omitempty"`
	Remediation string `json:"remediation,omitempty"`
}

// Collector gathers the batches of a check run. It is not safe for
// concurrent use; an Evaluator calls emit from one goroutine at a time.
type Collector struct {
	results []Result
	inputs  map[*demarc.Snapshot]bool
	snaps   []*demarc.Snapshot
}

// Add records one batch.
func (c *Collector) Add(b Batch) {
	if c.inputs == nil {
		c.inputs = map[*demarc.Snapshot]bool{}
	}
	if b.Snapshot != nil && !c.inputs[b.Snapshot] {
		c.inputs[b.Snapshot] = true
		c.snaps = append(c.snaps, b.Snapshot)
	}
	c.results = append(c.results, b.Results...)
}

// Results returns every result collected so far.
func (c *Collector) Results() []Result { return c.results }

// ReportOptions describe the run a report is for.
type ReportOptions struct {
	Tool Tool
	// System is the system file, with its digest.
	System *Input
	// Inputs are every configuration file read, including those with no
	// resources; Collector adds the ones it saw if they are missing.
	Inputs []Input
	// PolicySources are the policy files used.
	PolicySources []Source
	Problems      demarc.Problems
	Skipped       demarc.Problems
	// Now stamps the report; zero means the current time.
	Now time.Time
}

// BuildReport combines the results of a run with a resolved system: for
// every control of fw, the customer's part is verified, failing,
// indeterminate, manual or not applicable.
func BuildReport(res *resolve.Resolution, fw *demarc.Framework, policies []*Policy, c *Collector, o ReportOptions) *Report {
	now := o.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	r := &Report{
		System:    res.System.Name,
		Framework: fw.ID,
		Evidence:  Evidence{GeneratedAt: now, Tool: o.Tool, System: o.System, Inputs: mergeInputs(o.Inputs, c.snaps), Policies: o.PolicySources},
		Problems:  o.Problems,
		Skipped:   o.Skipped,
	}
	stats := policyStats(policies, c.results)
	r.Policies = stats.summaries
	r.Findings = findings(c.results)
	r.Resources = resourceReports(c.results)
	r.Controls = controlStatuses(res, fw, stats)
	r.Summary = summarize(r, policies, c)
	return r
}

func mergeInputs(given []Input, snaps []*demarc.Snapshot) []Input {
	out := append([]Input(nil), given...)
	known := map[string]bool{}
	for _, in := range out {
		known[in.File] = true
	}
	for _, s := range snaps {
		if !known[s.File] {
			known[s.File] = true
			out = append(out, Input{File: s.File, Format: s.Format, SHA256: s.SHA256, Resources: len(s.Resources)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// stats holds the results per policy and per area.
type stats struct {
	summaries []PolicySummary
	byPolicy  map[string]*PolicySummary
	failing   map[string][]FindingRef // per policy
	byArea    map[demarc.AreaID][]*PolicySummary
}

func policyStats(policies []*Policy, results []Result) *stats {
	s := &stats{byPolicy: map[string]*PolicySummary{}, failing: map[string][]FindingRef{}, byArea: map[demarc.AreaID][]*PolicySummary{}}
	s.summaries = make([]PolicySummary, len(policies))
	for i, p := range policies {
		s.summaries[i] = PolicySummary{ID: p.ID, Title: p.Title, Severity: p.Severity, Areas: p.Areas, Results: map[Status]int{},
			Message: p.Message, Remediation: p.Remediation}
		s.byPolicy[p.ID] = &s.summaries[i]
		for _, a := range p.Areas {
			s.byArea[a] = append(s.byArea[a], &s.summaries[i])
		}
	}
	for _, r := range results {
		ps := s.byPolicy[r.Policy.ID]
		if ps == nil {
			continue
		}
		ps.Results[r.Status]++
		if r.Status == Fail {
			s.failing[r.Policy.ID] = append(s.failing[r.Policy.ID], FindingRef{Policy: r.Policy.ID, Resource: r.Resource.ID, Pos: r.Resource.Pos, Setting: valueList(r.Values())})
		}
	}
	return s
}

// controlStatuses decides every non-withdrawn control of fw.
func controlStatuses(res *resolve.Resolution, fw *demarc.Framework, s *stats) []ControlStatus {
	out := make([]ControlStatus, 0, len(fw.Controls))
	for i := range fw.Controls {
		c := &fw.Controls[i]
		if c.Withdrawn {
			continue
		}
		out = append(out, controlStatus(res.Control(c), s))
	}
	return out
}

func controlStatus(cr demarc.ControlResult, s *stats) ControlStatus {
	cs := ControlStatus{ID: cr.ID, Title: cr.Title, Family: cr.Family, Owner: cr.Owner, Results: map[Status]int{},
		CustomerAreas: []demarc.AreaID{}, CheckedAreas: []demarc.AreaID{}, ManualAreas: []demarc.AreaID{}, Policies: []string{}}
	for _, p := range cr.Customer {
		cs.CustomerAreas = appendArea(cs.CustomerAreas, p.Area)
	}
	var gaps []demarc.AreaID
	for _, p := range cr.Gaps {
		gaps = appendArea(gaps, p.Area)
	}
	if len(cs.CustomerAreas) == 0 && len(gaps) == 0 {
		cs.State = ControlNotApplicable
		cs.Note = "the customer has no part in this control (owner: " + string(cr.Owner) + ")"
		return cs
	}
	seen := map[string]bool{}
	for _, a := range cs.CustomerAreas {
		checked := false
		for _, ps := range s.byArea[a] {
			if ps.Results[Pass]+ps.Results[Fail]+ps.Results[Indeterminate] > 0 {
				checked = true
			}
			if seen[ps.ID] {
				continue
			}
			seen[ps.ID] = true
			cs.Policies = append(cs.Policies, ps.ID)
			for st, n := range ps.Results {
				cs.Results[st] += n
			}
			cs.Failing = append(cs.Failing, s.failing[ps.ID]...)
		}
		if checked {
			cs.CheckedAreas = append(cs.CheckedAreas, a)
		} else {
			cs.ManualAreas = append(cs.ManualAreas, a)
		}
	}
	sort.Strings(cs.Policies)
	cs.State = stateOf(cs.Results)
	if len(gaps) > 0 {
		cs.ManualAreas = append(cs.ManualAreas, gaps...)
		cs.Note = "no one is responsible for " + joinAreas(gaps) + " yet (see 'demarc gaps')"
	}
	return cs
}

func stateOf(results map[Status]int) ControlState {
	switch {
	case results[Fail] > 0:
		return ControlFailing
	case results[Indeterminate] > 0:
		return ControlIndeterminate
	case results[Pass] > 0:
		return ControlVerified
	}
	return ControlManual
}

func appendArea(list []demarc.AreaID, a demarc.AreaID) []demarc.AreaID {
	for _, x := range list {
		if x == a {
			return list
		}
	}
	return append(list, a)
}

func joinAreas(as []demarc.AreaID) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// findings lists the failing and indeterminate results, most severe
// first, then by place.
func findings(results []Result) []Finding {
	out := []Finding{}
	for _, r := range results {
		if r.Status != Fail && r.Status != Indeterminate {
			continue
		}
		p := r.Policy
		out = append(out, Finding{
			Policy: p.ID, Title: p.Title, Severity: p.Severity, Status: r.Status,
			Resource: r.Resource.ID, Type: r.Resource.Type, Pos: r.Resource.Pos,
			Values: r.Values(), Reason: r.Reason, Message: p.Message, Remediation: p.Remediation, Areas: p.Areas,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Status == Fail) != (b.Status == Fail) {
			return a.Status == Fail
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Policy < b.Policy
	})
	return out
}

// resourceReports groups results by resource, in file and line order.
func resourceReports(results []Result) []ResourceReport {
	index := map[*demarc.Resource]int{}
	var out []ResourceReport
	for _, r := range results {
		i, ok := index[r.Resource]
		if !ok {
			i = len(out)
			index[r.Resource] = i
			out = append(out, ResourceReport{ID: r.Resource.ID, Type: r.Resource.Type, Format: r.Resource.Format, Pos: r.Resource.Pos})
		}
		out[i].Checks = append(out[i].Checks, CheckReport{Policy: r.Policy.ID, Severity: r.Policy.Severity, Status: r.Status, Reason: r.Reason, Values: r.Values()})
	}
	for i := range out {
		sort.Slice(out[i].Checks, func(a, b int) bool { return out[i].Checks[a].Policy < out[i].Checks[b].Policy })
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.ID < b.ID
	})
	if out == nil {
		out = []ResourceReport{}
	}
	return out
}

func summarize(r *Report, policies []*Policy, c *Collector) Summary {
	s := Summary{Controls: map[ControlState]int{}, Results: map[Status]int{}, Policies: len(policies), Checked: len(r.Resources)}
	for _, st := range ControlStates {
		s.Controls[st] = 0
	}
	for _, st := range Statuses {
		s.Results[st] = 0
	}
	for _, cs := range r.Controls {
		s.Controls[cs.State]++
	}
	for _, res := range c.results {
		s.Results[res.Status]++
	}
	for _, in := range r.Evidence.Inputs {
		s.Resources += in.Resources
	}
	return s
}

// FailuresAtOrAbove counts failing results whose policy severity is at
// least min.
func (r *Report) FailuresAtOrAbove(min Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Status == Fail && f.Severity.Rank() >= min.Rank() {
			n++
		}
	}
	return n
}
