package check

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// SARIF 2.1.0 (OASIS), the subset code-scanning services read: one run,
// its rules (the policies), the failing results with their locations, the
// input files as artifacts with digests, and input problems as tool
// notifications.

// SARIFLog is the top of a SARIF file.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run of the tool.
type SARIFRun struct {
	Tool        SARIFTool         `json:"tool"`
	Invocations []SARIFInvocation `json:"invocations"`
	Artifacts   []SARIFArtifact   `json:"artifacts,omitempty"`
	Results     []SARIFResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

// SARIFTool wraps the driver.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver describes demarc and its rules.
type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule is one policy.
type SARIFRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     SARIFText         `json:"shortDescription"`
	FullDescription      SARIFText         `json:"fullDescription"`
	Help                 SARIFText         `json:"help"`
	DefaultConfiguration SARIFRuleConfig   `json:"defaultConfiguration"`
	Properties           SARIFRuleProperty `json:"properties"`
}

// SARIFRuleConfig is a rule's default level.
type SARIFRuleConfig struct {
	Level string `json:"level"`
}

// SARIFRuleProperty carries the tags and the numeric severity that
// code-scanning services sort by.
type SARIFRuleProperty struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
}

// SARIFText is a message.
type SARIFText struct {
	Text string `json:"text"`
}

// SARIFResult is one failing check.
type SARIFResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             SARIFText         `json:"message"`
	Locations           []SARIFLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// SARIFLocation places a result in a file and names the resource.
type SARIFLocation struct {
	PhysicalLocation *SARIFPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []SARIFLogicalLocation `json:"logicalLocations,omitempty"`
}

// SARIFPhysicalLocation is a file and a line.
type SARIFPhysicalLocation struct {
	ArtifactLocation SARIFArtifactLocation `json:"artifactLocation"`
	Region           *SARIFRegion          `json:"region,omitempty"`
}

// SARIFArtifactLocation is a file's URI.
type SARIFArtifactLocation struct {
	URI string `json:"uri"`
}

// SARIFRegion is a line.
type SARIFRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFLogicalLocation names the resource.
type SARIFLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// SARIFArtifact is an input file with its digest.
type SARIFArtifact struct {
	Location SARIFArtifactLocation `json:"location"`
	Hashes   map[string]string     `json:"hashes,omitempty"`
}

// SARIFInvocation records how the run went.
type SARIFInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	EndTimeUTC                 string              `json:"endTimeUtc"`
	ToolExecutionNotifications []SARIFNotification `json:"toolExecutionNotifications,omitempty"`
}

// SARIFNotification reports an input problem.
type SARIFNotification struct {
	Level     string          `json:"level"`
	Message   SARIFText       `json:"message"`
	Locations []SARIFLocation `json:"locations,omitempty"`
}

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityCritical, SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score code-scanning services expect.
var securitySeverity = map[Severity]string{SeverityCritical: "9.5", SeverityHigh: "8.0", SeverityMedium: "5.5", SeverityLow: "3.0"}

// ToSARIF converts a report to a SARIF log with one run. Only failing
// results become SARIF results; passing checks are evidence, not alerts.
func ToSARIF(r *Report) *SARIFLog {
	run := SARIFRun{
		Tool: SARIFTool{Driver: SARIFDriver{Name: r.Evidence.Tool.Name, Version: r.Evidence.Tool.Version,
			InformationURI: "https://github.com/demarc-io/demarc", Rules: []SARIFRule{}}},
		Results:    []SARIFResult{},
		Properties: map[string]any{"system": r.System, "framework": r.Framework},
	}
	ruleIndex := map[string]int{}
	for _, p := range r.Policies {
		ruleIndex[p.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule(p))
	}
	for _, in := range r.Evidence.Inputs {
		run.Artifacts = append(run.Artifacts, SARIFArtifact{Location: SARIFArtifactLocation{URI: fileURI(in.File)}, Hashes: map[string]string{"sha-256": in.SHA256}})
	}
	for _, f := range r.Findings {
		if f.Status != Fail {
			continue
		}
		run.Results = append(run.Results, sarifResult(f, ruleIndex[f.Policy]))
	}
	inv := SARIFInvocation{ExecutionSuccessful: len(r.Problems) == 0, EndTimeUTC: r.Evidence.GeneratedAt.UTC().Format(time.RFC3339)}
	for _, p := range r.Problems {
		n := SARIFNotification{Level: "error", Message: SARIFText{Text: p.Message}}
		if p.Pos.File != "" {
			n.Locations = []SARIFLocation{{PhysicalLocation: physical(p.Pos.File, p.Pos.Line)}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, p := range r.Skipped {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, SARIFNotification{Level: "note", Message: SARIFText{Text: "skipped: " + p.Message},
			Locations: []SARIFLocation{{PhysicalLocation: physical(p.Pos.File, p.Pos.Line)}}})
	}
	run.Invocations = []SARIFInvocation{inv}
	return &SARIFLog{Schema: sarifSchema, Version: "2.1.0", Runs: []SARIFRun{run}}
}

func sarifRule(p PolicySummary) SARIFRule {
	tags := []string{"security", "demarc"}
	for _, a := range p.Areas {
		tags = append(tags, string(a))
	}
	msg, fix := p.Message, p.Remediation
	return SARIFRule{
		ID: p.ID, Name: ruleName(p.ID),
		ShortDescription:     SARIFText{Text: p.Title},
		FullDescription:      SARIFText{Text: msg},
		Help:                 SARIFText{Text: fix},
		DefaultConfiguration: SARIFRuleConfig{Level: sarifLevel(p.Severity)},
		Properties:           SARIFRuleProperty{Tags: tags, SecuritySeverity: securitySeverity[p.Severity], Precision: "high"},
	}
}

// ruleName turns a policy id into the PascalCase name SARIF suggests.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func sarifResult(f Finding, index int) SARIFResult {
	text := f.Message
	if f.Reason != "" {
		text += ": " + f.Reason // a Rego finding's own message
	}
	if vs := valueList(f.Values); vs != "" {
		text += " (" + vs + ")"
	}
	text += " Resource: " + f.Resource + "."
	loc := SARIFLocation{LogicalLocations: []SARIFLogicalLocation{{Name: f.Resource, FullyQualifiedName: f.Type + ":" + f.Resource, Kind: "resource"}}}
	if f.Pos.File != "" {
		loc.PhysicalLocation = physical(f.Pos.File, f.Pos.Line)
	}
	sum := sha256.Sum256([]byte(f.Policy + "\x00" + f.Pos.File + "\x00" + f.Resource))
	return SARIFResult{
		RuleID: f.Policy, RuleIndex: index, Kind: "fail", Level: sarifLevel(f.Severity),
		Message:             SARIFText{Text: text},
		Locations:           []SARIFLocation{loc},
		PartialFingerprints: map[string]string{"demarcResource/v1": hex.EncodeToString(sum[:16])},
		Properties:          map[string]any{"resource": f.Resource, "type": f.Type, "values": f.Values, "areas": f.Areas},
	}
}

func physical(file string, line int) *SARIFPhysicalLocation {
	p := &SARIFPhysicalLocation{ArtifactLocation: SARIFArtifactLocation{URI: fileURI(file)}}
	if line > 0 {
		p.Region = &SARIFRegion{StartLine: line}
	}
	return p
}

// fileURI writes a path as a URI reference: relative paths stay relative
// (code-scanning services resolve them against the repository), absolute
// ones become file URIs.
func fileURI(path string) string {
	slashed := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		return (&url.URL{Scheme: "file", Path: slashed}).String()
	}
	return (&url.URL{Path: slashed}).String()
}
