package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// Explanation writes the reasoning behind a control or an area.
func Explanation(w io.Writer, x *resolve.Explanation, f Format, o Options) error {
	switch f {
	case JSON:
		return WriteJSON(w, x)
	case YAML:
		return WriteYAML(w, x)
	case Markdown:
		return explainMarkdown(w, x)
	case CSV:
		return demarc.Errorf(demarc.EInvalid, "explain has no csv form; use table, json, yaml or markdown")
	}
	return explainText(w, x, o)
}

func services(x *resolve.Explanation) map[string]demarc.Component {
	m := make(map[string]demarc.Component, len(x.Components))
	for _, c := range x.Components {
		m[c.Name] = c
	}
	return m
}

func explainText(w io.Writer, x *resolve.Explanation, o Options) error {
	var b strings.Builder
	comps := services(x)
	if c := x.Control; c != nil {
		fmt.Fprintf(&b, "%s %s — %s, system %s\n", c.ID, c.Title, x.Framework, x.System)
		fmt.Fprintf(&b, "Owner: %s\n", paint(o, c.Owner, OwnerLabel(c.Owner, c.Sharing)))
		fmt.Fprintf(&b, "Areas: %s", areaList(c.Areas))
		if x.AreasFrom != "" {
			fmt.Fprintf(&b, " (from %s)", x.AreasFrom)
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "Area %s — system %s\n", x.Areas[0].Area.ID, x.System)
	}
	for _, a := range x.Areas {
		fmt.Fprintf(&b, "\n%s — %s: %s\n", a.Area.ID, a.Area.Title, paint(o, a.Owner, string(a.Owner)))
		if t := raciLine(a.Teams); t != "" {
			fmt.Fprintf(&b, "  customer teams: %s\n", t)
		}
		for _, cell := range a.Cells {
			writeCell(&b, cell, comps[cell.Component], o)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCell(b *strings.Builder, cell demarc.Assignment, comp demarc.Component, o Options) {
	fmt.Fprintf(b, "  %s (%s): %s\n", cell.Component, comp.Service, paint(o, cell.Owner, OwnerLabel(cell.Owner, cell.Sharing)))
	for _, p := range cell.Parts {
		fmt.Fprintf(b, "      %s: %s\n", p.Party, p.Text)
	}
	fmt.Fprintf(b, "      decided by %s\n", resolve.Reason(cell.Provenance))
	if d := cell.Provenance.Decided.Note; d != "" {
		fmt.Fprintf(b, "        note: %s\n", d)
	}
	for _, s := range cell.Provenance.Shadowed {
		fmt.Fprintf(b, "      outranked: %s says %s", s.Source, s.Owner)
		if pos := s.Pos.String(); pos != "" {
			fmt.Fprintf(b, " (%s)", pos)
		}
		b.WriteString("\n")
	}
}

func explainMarkdown(w io.Writer, x *resolve.Explanation) error {
	var b strings.Builder
	comps := services(x)
	if c := x.Control; c != nil {
		fmt.Fprintf(&b, "# %s %s\n\nFramework %s, system %s. **Owner: %s.** Areas: %s.\n", c.ID, mdEscape(c.Title), x.Framework, mdEscape(x.System), OwnerLabel(c.Owner, c.Sharing), areaList(c.Areas))
	} else {
		fmt.Fprintf(&b, "# Area %s\n\nSystem %s.\n", x.Areas[0].Area.ID, mdEscape(x.System))
	}
	for _, a := range x.Areas {
		fmt.Fprintf(&b, "\n## %s — %s (%s)\n\n", a.Area.ID, mdEscape(a.Area.Title), a.Owner)
		if t := raciLine(a.Teams); t != "" {
			fmt.Fprintf(&b, "Customer teams: %s.\n\n", mdEscape(t))
		}
		fmt.Fprintf(&b, "| Component | Service | Owner | Parts | Decided by |\n|---|---|---|---|---|\n")
		for _, cell := range a.Cells {
			var parts []string
			for _, p := range cell.Parts {
				parts = append(parts, p.Party.String()+": "+p.Text)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell.Component, comps[cell.Component].Service, OwnerLabel(cell.Owner, cell.Sharing), mdEscape(strings.Join(parts, "; ")), mdEscape(resolve.Reason(cell.Provenance)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// raciLine renders RACI as "responsible: platform; accountable: security".
func raciLine(x demarc.RACI) string {
	var parts []string
	for _, r := range []struct {
		role  string
		teams []string
	}{{"responsible", x.Responsible}, {"accountable", x.Accountable}, {"consulted", x.Consulted}, {"informed", x.Informed}} {
		if len(r.teams) > 0 {
			parts = append(parts, r.role+": "+strings.Join(r.teams, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
