package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/demarc-io/demarc"
)

// GapReport is the gaps of one system under one framework.
type GapReport struct {
	System    string             `json:"system"`
	Framework demarc.FrameworkID `json:"framework"`
	AsOf      demarc.Date        `json:"as_of"`
	Summary   map[string]int     `json:"summary"` // per severity
	Gaps      []demarc.Gap       `json:"gaps"`
}

// Gaps writes a gap report in format f.
func Gaps(w io.Writer, r *GapReport, f Format, o Options) error {
	switch f {
	case JSON:
		return WriteJSON(w, r)
	case YAML:
		return WriteYAML(w, r)
	case CSV:
		return gapsCSV(w, r)
	case Markdown:
		return gapsMarkdown(w, r)
	}
	return gapsText(w, r, o)
}

var severityColor = map[demarc.Severity]string{
	demarc.SeverityHigh:   "\x1b[1;31m",
	demarc.SeverityMedium: "\x1b[33m",
	demarc.SeverityLow:    "\x1b[2m",
}

func gapSummary(r *GapReport) string {
	return fmt.Sprintf("%d gaps: %d high, %d medium, %d low", len(r.Gaps), r.Summary["high"], r.Summary["medium"], r.Summary["low"])
}

func gapsText(w io.Writer, r *GapReport, o Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s, as of %s\n%s\n", r.System, r.Framework, r.AsOf, gapSummary(r))
	width := o.width()
	for _, g := range r.Gaps {
		sev := strings.ToUpper(string(g.Severity))
		if o.Color {
			sev = severityColor[g.Severity] + sev + "\x1b[0m"
		}
		fmt.Fprintf(&b, "\n%s  %s  [%s]\n", sev, g.Title, g.Kind)
		for _, line := range wrap(g.Message, width-4) {
			fmt.Fprintf(&b, "    %s\n", line)
		}
		for i, line := range wrap("Fix: "+g.Fix, width-4) {
			if i == 0 {
				fmt.Fprintf(&b, "    %s\n", line)
			} else {
				fmt.Fprintf(&b, "         %s\n", line)
			}
		}
		fmt.Fprintf(&b, "    Components: %s\n", strings.Join(g.Components, ", "))
		fmt.Fprintf(&b, "    Controls (%d): %s\n", len(g.Controls), abbreviate(controlStrings(g.Controls), 12))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func controlStrings(ids []demarc.ControlID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// abbreviate joins at most n items and says how many more there are.
func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func gapsCSV(w io.Writer, r *GapReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"system", "framework", "id", "kind", "severity", "title", "message", "fix", "areas", "controls", "components", "party", "attestation", "cuec", "feature"}); err != nil {
		return err
	}
	for _, g := range r.Gaps {
		rec := []string{r.System, string(r.Framework), g.ID, string(g.Kind), string(g.Severity), g.Title, g.Message, g.Fix,
			areaList(g.Areas), strings.Join(controlStrings(g.Controls), " "), strings.Join(g.Components, " "), g.Party, g.Attestation, g.CUEC, g.Feature}
		if err := cw.Write(csvSafe(rec)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func gapsMarkdown(w io.Writer, r *GapReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Gaps: %s — %s\n\nAs of %s. %s.\n\n| Severity | Kind | Gap | Fix | Components | Controls |\n|---|---|---|---|---|---|\n", mdEscape(r.System), r.Framework, r.AsOf, gapSummary(r))
	for _, g := range r.Gaps {
		fmt.Fprintf(&b, "| %s | %s | **%s** — %s | %s | %s | %s |\n", g.Severity, g.Kind, mdEscape(g.Title), mdEscape(g.Message), mdEscape(g.Fix), mdEscape(strings.Join(g.Components, ", ")), mdEscape(abbreviate(controlStrings(g.Controls), 12)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
