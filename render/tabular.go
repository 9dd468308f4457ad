package render

import (
	"fmt"
	"io"
	"strings"
)

// Tabular is the flat form of a report, for table, CSV and Markdown output:
// a title, a summary line, and rows under a header.
type Tabular struct {
	Title   string
	Summary string
	Header  []string
	Rows    [][]string
	// Notes are printed after the table (not in CSV).
	Notes []string
}

// Report writes a report: v as JSON or YAML, or t as a table, CSV or
// Markdown.
func Report(w io.Writer, v any, t *Tabular, f Format, o Options) error {
	switch f {
	case JSON:
		return WriteJSON(w, v)
	case YAML:
		return WriteYAML(w, v)
	case CSV:
		return List(w, &Listing{Header: t.Header, Rows: t.Rows}, CSV, o)
	case Markdown:
		var b strings.Builder
		fmt.Fprintf(&b, "# %s\n\n", mdEscape(t.Title))
		if t.Summary != "" {
			fmt.Fprintf(&b, "%s\n\n", mdEscape(t.Summary))
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		if err := List(w, &Listing{Header: t.Header, Rows: t.Rows}, Markdown, o); err != nil {
			return err
		}
		return writeNotes(w, t.Notes, "\n- ")
	}
	fmt.Fprintf(w, "%s\n", t.Title)
	if t.Summary != "" {
		fmt.Fprintf(w, "%s\n", t.Summary)
	}
	fmt.Fprintln(w)
	upper := make([]string, len(t.Header))
	for i, h := range t.Header {
		upper[i] = strings.ToUpper(h)
	}
	tb := &table{widths: fitWidths(t.Header, t.Rows, o.width()), header: upper, rows: t.Rows}
	if err := tb.write(w); err != nil {
		return err
	}
	return writeNotes(w, t.Notes, "\n")
}

func writeNotes(w io.Writer, notes []string, prefix string) error {
	for _, n := range notes {
		if _, err := io.WriteString(w, prefix+n); err != nil {
			return err
		}
	}
	if len(notes) > 0 {
		_, err := io.WriteString(w, "\n")
		return err
	}
	return nil
}

// fitWidths sizes columns to their content, shrinking the widest until the
// table fits width.
func fitWidths(header []string, rows [][]string, width int) []int {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], len([]rune(c)))
			}
		}
	}
	for total(widths)+2*(len(widths)-1) > width {
		wi := 0
		for i := range widths {
			if widths[i] > widths[wi] {
				wi = i
			}
		}
		if widths[wi] <= 10 {
			break
		}
		widths[wi]--
	}
	return widths
}
