package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// Matrix writes a responsibility matrix in format f.
func Matrix(w io.Writer, m *demarc.Matrix, f Format, o Options) error {
	switch f {
	case JSON:
		return WriteJSON(w, m)
	case YAML:
		return WriteYAML(w, m)
	case CSV:
		return matrixCSV(w, m)
	case Markdown:
		return matrixMarkdown(w, m)
	}
	return matrixTable(w, m, o)
}

// partAreas lists the areas of parts grouped by party — "aws: os.patching,
// data.backup (db)" — naming components only where not every component of
// the control is involved.
func partAreas(parts []demarc.Part, all []string) []string {
	type key struct{ party, area string }
	var parties []string
	areas := map[string][]string{}
	comps := map[key][]string{}
	for _, p := range parts {
		party := ""
		if p.Party.Kind != demarc.PartyCustomer && p.Party.Name != "" {
			party = p.Party.Name
		}
		k := key{party, string(p.Area)}
		if _, ok := areas[party]; !ok {
			parties = append(parties, party)
		}
		if _, ok := comps[k]; !ok {
			areas[party] = append(areas[party], k.area)
		}
		comps[k] = dedupeStrings(append(comps[k], p.Components...))
	}
	out := make([]string, 0, len(parties))
	for _, party := range parties {
		var items []string
		for _, area := range areas[party] {
			s := area + componentNote(comps[key{party, area}], all)
			items = append(items, s)
		}
		s := strings.Join(items, ", ")
		if party != "" {
			s = party + ": " + s
		}
		out = append(out, s)
	}
	return out
}

// componentNote names the components a part applies to: nothing when it
// applies to all of them, "all but x" when it misses only a few.
func componentNote(cs, all []string) string {
	switch {
	case len(cs) >= len(all):
		return ""
	case len(cs) > len(all)/2 && len(all)-len(cs) < len(cs):
		in := map[string]bool{}
		for _, c := range cs {
			in[c] = true
		}
		var missing []string
		for _, c := range all {
			if !in[c] {
				missing = append(missing, c)
			}
		}
		return " (all but " + strings.Join(missing, ", ") + ")"
	}
	return " (" + strings.Join(cs, ", ") + ")"
}

func dedupeStrings(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func matrixTable(w io.Writer, m *demarc.Matrix, o Options) error {
	fmt.Fprintf(w, "%s — %s\n\n", m.System, m.Framework)
	width := o.width()
	fixed := 10 + 9 + 4*2 // two fixed columns and four gaps
	rest := max(width-fixed, 45)
	t := &table{
		widths: []int{10, rest * 30 / 100, 9, rest * 35 / 100, rest - rest*30/100 - rest*35/100},
		header: []string{"CONTROL", "TITLE", "OWNER", "PROVIDER DOES", "CUSTOMER DOES"},
	}
	for _, c := range m.Controls {
		prov := partAreas(append(append([]demarc.Part{}, c.Provider...), c.ThirdParty...), c.Components)
		cust := partAreas(c.Customer, c.Components)
		if len(c.Gaps) > 0 {
			cust = append(cust, "GAP: "+strings.Join(partAreas(c.Gaps, c.Components), ", "))
		}
		t.rows = append(t.rows, []string{string(c.ID), c.Title, string(c.Owner), strings.Join(prov, "; "), strings.Join(cust, "; ")})
	}
	t.paint = func(row, col int, s string) string {
		if col != 2 {
			return s
		}
		return paint(o, m.Controls[row].Owner, s)
	}
	if err := t.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(m.Summary, len(m.Controls)))
	return err
}

// SummaryLine renders owner counts: "1007 controls: 412 shared, 301 customer, …".
func SummaryLine(s demarc.Summary, total int) string {
	type kv struct {
		o demarc.Owner
		n int
	}
	var kvs []kv
	for o, n := range s {
		kvs = append(kvs, kv{o, n})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].n != kvs[j].n {
			return kvs[i].n > kvs[j].n
		}
		return kvs[i].o < kvs[j].o
	})
	parts := make([]string, len(kvs))
	for i, x := range kvs {
		parts[i] = fmt.Sprintf("%d %s", x.n, x.o)
	}
	return fmt.Sprintf("%d controls: %s", total, strings.Join(parts, ", "))
}

// partText renders parts as "area: text [components]" joined by "; ".
func partText(parts []demarc.Part, all []string) string {
	var out []string
	for _, p := range parts {
		s := string(p.Area) + ": " + p.Text
		if p.Party.Kind != demarc.PartyCustomer && p.Party.Name != "" {
			s = p.Party.Name + " " + s
		}
		if len(p.Components) < len(all) {
			s += " [" + strings.Join(p.Components, ", ") + "]"
		}
		out = append(out, s)
	}
	return strings.Join(dedupeStrings(out), "; ")
}

func areaList(ids []demarc.AreaID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, " ")
}

func matrixCSV(w io.Writer, m *demarc.Matrix) error {
	cw := csv.NewWriter(w)
	header := []string{"system", "framework", "control", "title", "family", "owner", "sharing", "areas", "provider_areas", "customer_areas", "third_party_areas", "provider_part", "customer_part", "third_party_part", "gaps", "components"}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, c := range m.Controls {
		rec := []string{
			m.System, string(m.Framework), string(c.ID), c.Title, c.Family, string(c.Owner), string(c.Sharing),
			areaList(c.Areas),
			strings.Join(partAreas(c.Provider, c.Components), "; "),
			strings.Join(partAreas(c.Customer, c.Components), "; "),
			strings.Join(partAreas(c.ThirdParty, c.Components), "; "),
			partText(c.Provider, c.Components), partText(c.Customer, c.Components), partText(c.ThirdParty, c.Components),
			strings.Join(partAreas(c.Gaps, c.Components), "; "),
			strings.Join(c.Components, " "),
		}
		if err := cw.Write(csvSafe(rec)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses cells a spreadsheet would run as formulas.
func csvSafe(rec []string) []string {
	for i, s := range rec {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			rec[i] = "'" + s
		}
	}
	return rec
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func matrixMarkdown(w io.Writer, m *demarc.Matrix) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Responsibility matrix: %s — %s\n\n%s\n\n", mdEscape(m.System), m.Framework, SummaryLine(m.Summary, len(m.Controls)))
	b.WriteString("| Control | Title | Owner | Provider does | Customer does |\n|---|---|---|---|---|\n")
	for _, c := range m.Controls {
		prov := partText(append(append([]demarc.Part{}, c.Provider...), c.ThirdParty...), c.Components)
		cust := partText(c.Customer, c.Components)
		if len(c.Gaps) > 0 {
			cust += " **GAP:** " + strings.Join(partAreas(c.Gaps, c.Components), ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.ID, mdEscape(c.Title), OwnerLabel(c.Owner, c.Sharing), mdEscape(prov), mdEscape(cust))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
