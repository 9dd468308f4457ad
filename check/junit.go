package check

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML, as CI systems read it: one test suite per policy, one test
// case per resource it checked. A failing check is a failure; an
// indeterminate or not-applicable one is skipped with its reason.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, r *Report) error {
	suites := junitSuites{Name: fmt.Sprintf("demarc check: %s (%s)", r.System, r.Framework), Time: "0"}
	index := map[string]int{}
	policies := map[string]*PolicySummary{}
	for i := range r.Policies {
		policies[r.Policies[i].ID] = &r.Policies[i]
	}
	stamp := r.Evidence.GeneratedAt.UTC().Format("2006-01-02T15:04:05")
	for _, res := range r.Resources {
		for _, c := range res.Checks {
			i, ok := index[c.Policy]
			if !ok {
				i = len(suites.Suites)
				index[c.Policy] = i
				suites.Suites = append(suites.Suites, newJUnitSuite(c.Policy, policies[c.Policy], stamp))
			}
			s := &suites.Suites[i]
			tc := junitCase{Name: res.ID, Classname: c.Policy, File: res.Pos.File, Line: res.Pos.Line, Time: "0"}
			switch c.Status {
			case Fail:
				tc.Failure = junitFailureOf(c, policies[c.Policy])
				s.Failures++
			case Indeterminate, NotApplicable:
				tc.Skipped = &junitSkipped{Message: string(c.Status) + ": " + c.Reason}
				s.Skipped++
			}
			s.Tests++
			s.Cases = append(s.Cases, tc)
		}
	}
	for _, s := range suites.Suites {
		suites.Tests += s.Tests
		suites.Failures += s.Failures
		suites.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func newJUnitSuite(id string, p *PolicySummary, stamp string) junitSuite {
	s := junitSuite{Name: id, Timestamp: stamp}
	if p != nil {
		s.Name = id + ": " + p.Title
		s.Properties = []junitProperty{{Name: "severity", Value: string(p.Severity)}, {Name: "areas", Value: joinAreas(p.Areas)}}
	}
	return s
}

func junitFailureOf(c CheckReport, p *PolicySummary) *junitFailure {
	f := &junitFailure{Type: string(c.Severity), Message: c.Policy}
	var text strings.Builder
	if p != nil {
		f.Message = p.Message
		text.WriteString(p.Message + "\n")
	}
	if c.Reason != "" {
		text.WriteString("Finding: " + c.Reason + "\n") // a Rego finding's own message
	}
	if vs := valueList(c.Values); vs != "" {
		text.WriteString("Setting: " + vs + "\n")
	}
	if p != nil {
		text.WriteString("Fix: " + p.Remediation + "\n")
	}
	f.Text = text.String()
	return f
}
