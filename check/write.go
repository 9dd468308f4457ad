package check

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/render"
)

// Output formats of a report, besides render's table, JSON, YAML and
// Markdown.
const (
	SARIF render.Format = "sarif"
	JUnit render.Format = "junit"
)

// Formats lists every format a report can be written in.
var Formats = []render.Format{render.Table, render.JSON, render.YAML, render.Markdown, SARIF, JUnit}

// Write writes the report in format f.
func Write(w io.Writer, r *Report, f render.Format, o render.Options) error {
	switch f {
	case render.JSON:
		return render.WriteJSON(w, r)
	case render.YAML:
		return render.WriteYAML(w, r)
	case SARIF:
		return render.WriteJSON(w, ToSARIF(r))
	case JUnit:
		return writeJUnit(w, r)
	case render.Markdown:
		return writeMarkdown(w, r)
	}
	return writeText(w, r, o)
}

// SummaryLine says in one line what was checked and what came of it.
func (r *Report) SummaryLine() string {
	s := r.Summary
	return fmt.Sprintf("%d inputs, %d resources (%d checked), %d policies; results: %d fail, %d indeterminate, %d pass, %d not applicable",
		len(r.Evidence.Inputs), s.Resources, s.Checked, s.Policies,
		s.Results[Fail], s.Results[Indeterminate], s.Results[Pass], s.Results[NotApplicable])
}

// ControlLine counts the controls per state.
func (r *Report) ControlLine() string {
	s := r.Summary.Controls
	return fmt.Sprintf("controls: %d failing, %d indeterminate, %d verified, %d need manual evidence, %d not applicable",
		s[ControlFailing], s[ControlIndeterminate], s[ControlVerified], s[ControlManual], s[ControlNotApplicable])
}

func writeText(w io.Writer, r *Report, o render.Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n%s\n%s\n", r.System, r.Framework, r.SummaryLine(), r.ControlLine())
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := writeFindingsText(w, r, o); err != nil {
		return err
	}
	sections := []struct {
		title string
		list  *render.Listing
	}{
		{"Controls evidenced by checks", controlListing(r, false)},
		{"Customer areas that need manual evidence", manualListing(r)},
		{"Resources checked", resourceListing(r)},
	}
	for _, sec := range sections {
		if len(sec.list.Rows) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "\n%s\n\n", sec.title); err != nil {
			return err
		}
		if err := render.List(w, sec.list, render.Table, o); err != nil {
			return err
		}
	}
	if err := writeProblems(w, "Not checked", r.Problems, "\n"); err != nil {
		return err
	}
	return writeProblems(w, "Skipped, not a configuration format", r.Skipped, "\n")
}

// writeFindingsText lists failing and indeterminate checks, one block
// each: what, where, and the setting (or why it is undecided).
func writeFindingsText(w io.Writer, r *Report, o render.Options) error {
	if len(r.Findings) == 0 {
		return nil
	}
	width := o.Width
	if width <= 0 {
		width = 100
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nFailing and indeterminate checks (%d)\n", len(r.Findings))
	for _, f := range r.Findings {
		label := fmt.Sprintf("%-9s", strings.ToUpper(string(f.Severity)))
		if f.Status == Indeterminate {
			label = "UNDECIDED"
		}
		if o.Color {
			label = severityColor[f.Severity] + label + "\x1b[0m"
		}
		fmt.Fprintf(&b, "\n%s %s  %s", label, f.Policy, f.Resource)
		if where := f.Pos.String(); where != "" {
			fmt.Fprintf(&b, "  (%s)", where)
		}
		b.WriteString("\n")
		detail := f.Title + ": " + findingDetail(f)
		for _, line := range wrapText(detail, width-10) {
			fmt.Fprintf(&b, "          %s\n", line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var severityColor = map[Severity]string{
	SeverityCritical: "\x1b[1;31m",
	SeverityHigh:     "\x1b[31m",
	SeverityMedium:   "\x1b[33m",
	SeverityLow:      "\x1b[2m",
}

// wrapText breaks s into lines of at most width characters at spaces and
// after commas.
func wrapText(s string, width int) []string {
	if width < 20 {
		width = 20
	}
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(word) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += word
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

func writeProblems(w io.Writer, title string, ps demarc.Problems, prefix string) error {
	if len(ps) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s (%d):\n", prefix, title, len(ps))
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// findingDetail says what is wrong: the offending settings, or, for a
// finding without any (a Rego rule's, an indeterminate check's), its own
// message.
func findingDetail(f Finding) string {
	if f.Status == Indeterminate || len(f.Values) == 0 && f.Reason != "" {
		return f.Reason
	}
	return valueList(f.Values)
}

func findingListing(r *Report) *render.Listing {
	l := &render.Listing{Kind: "findings", Header: []string{"severity", "policy", "resource", "where", "setting"}}
	for _, f := range r.Findings {
		detail := findingDetail(f)
		if f.Status == Indeterminate {
			detail = "indeterminate: " + f.Reason
		}
		l.Rows = append(l.Rows, []string{string(f.Severity), f.Policy, f.Resource, f.Pos.String(), detail})
	}
	return l
}

// controlListing lists controls; with all false, only those checks
// evidenced (verified, failing, indeterminate).
func controlListing(r *Report, all bool) *render.Listing {
	l := &render.Listing{Kind: "controls", Header: []string{"control", "state", "owner", "results", "checked areas", "manual areas"}}
	for _, c := range r.Controls {
		if !all && (c.State == ControlManual || c.State == ControlNotApplicable) {
			continue
		}
		l.Rows = append(l.Rows, []string{string(c.ID), string(c.State), string(c.Owner), resultCounts(c.Results), joinAreas(c.CheckedAreas), joinAreas(c.ManualAreas)})
	}
	return l
}

func resultCounts(m map[Status]int) string {
	var parts []string
	for _, st := range Statuses {
		if m[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// manualListing groups the controls that still need manual evidence by
// customer area, so a reader sees which evidence to collect.
func manualListing(r *Report) *render.Listing {
	controls := map[demarc.AreaID][]string{}
	for _, c := range r.Controls {
		for _, a := range c.ManualAreas {
			controls[a] = append(controls[a], string(c.ID))
		}
	}
	areas := make([]string, 0, len(controls))
	for a := range controls {
		areas = append(areas, string(a))
	}
	sort.Strings(areas)
	l := &render.Listing{Kind: "areas", Header: []string{"area", "controls", "for example"}}
	for _, a := range areas {
		ids := controls[demarc.AreaID(a)]
		l.Rows = append(l.Rows, []string{a, fmt.Sprint(len(ids)), abbreviate(ids, 6)})
	}
	return l
}

func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

func writeMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Configuration checks: %s — %s\n\n%s\n\n%s\n\n", mdText(r.System), r.Framework, r.SummaryLine(), r.ControlLine())
	fmt.Fprintf(&b, "Generated %s by %s %s.\n\n", r.Evidence.GeneratedAt.Format("2006-01-02 15:04:05 MST"), r.Evidence.Tool.Name, r.Evidence.Tool.Version)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	o := render.Options{}
	sections := []struct {
		title string
		list  *render.Listing
	}{
		{"Findings", findingListing(r)},
		{"Controls", controlListing(r, true)},
		{"Customer areas that need manual evidence", manualListing(r)},
		{"Resources checked", resourceListing(r)},
		{"Inputs", inputListing(r)},
	}
	for _, sec := range sections {
		if _, err := fmt.Fprintf(w, "## %s\n\n", sec.title); err != nil {
			return err
		}
		if len(sec.list.Rows) == 0 {
			if _, err := io.WriteString(w, "None.\n\n"); err != nil {
				return err
			}
			continue
		}
		if err := render.List(w, sec.list, render.Markdown, o); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	if err := writeResourceDetail(w, r); err != nil {
		return err
	}
	if err := writeProblems(w, "Not checked", r.Problems, ""); err != nil {
		return err
	}
	return writeProblems(w, "Skipped, not a configuration format", r.Skipped, "\n")
}

// resourceListing counts each resource's results.
func resourceListing(r *Report) *render.Listing {
	l := &render.Listing{Kind: "resources", Header: []string{"resource", "type", "where", "fail", "indeterminate", "pass", "not applicable"}}
	for _, res := range r.Resources {
		n := map[Status]int{}
		for _, c := range res.Checks {
			n[c.Status]++
		}
		l.Rows = append(l.Rows, []string{res.ID, res.Type, res.Pos.String(), fmt.Sprint(n[Fail]), fmt.Sprint(n[Indeterminate]), fmt.Sprint(n[Pass]), fmt.Sprint(n[NotApplicable])})
	}
	return l
}

// writeResourceDetail lists, per resource, every check with the values
// it read.
func writeResourceDetail(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("## Checks per resource\n\n")
	for _, res := range r.Resources {
		fmt.Fprintf(&b, "### %s\n\n%s, %s\n\n| Policy | Status | Values read | Note |\n|---|---|---|---|\n", mdText(res.ID), mdText(res.Type), mdText(res.Pos.String()))
		for _, c := range res.Checks {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Policy, c.Status, mdText(valueList(c.Values)), mdText(c.Reason))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func inputListing(r *Report) *render.Listing {
	l := &render.Listing{Kind: "inputs", Header: []string{"file", "format", "resources", "sha-256"}}
	if s := r.Evidence.System; s != nil {
		l.Rows = append(l.Rows, []string{s.File, "system", "", s.SHA256})
	}
	for _, in := range r.Evidence.Inputs {
		l.Rows = append(l.Rows, []string{in.File, in.Format, fmt.Sprint(in.Resources), in.SHA256})
	}
	for _, p := range r.Evidence.Policies {
		l.Rows = append(l.Rows, []string{p.File, "policies", "", p.SHA256})
	}
	return l
}

func mdText(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`).Replace(s)
}
