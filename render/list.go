package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Listing is a simple table of library entries.
type Listing struct {
	Kind   string
	Header []string
	Rows   [][]string
}

// List writes a listing in format f. JSON and YAML give one object per row
// keyed by the header names.
func List(w io.Writer, l *Listing, f Format, o Options) error {
	switch f {
	case JSON, YAML:
		objs := make([]map[string]string, len(l.Rows))
		for i, r := range l.Rows {
			objs[i] = map[string]string{}
			for j, h := range l.Header {
				objs[i][h] = r[j]
			}
		}
		v := map[string]any{l.Kind: objs}
		if f == JSON {
			return WriteJSON(w, v)
		}
		return WriteYAML(w, v)
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(l.Header); err != nil {
			return err
		}
		for _, r := range l.Rows {
			if err := cw.Write(csvSafe(append([]string(nil), r...))); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case Markdown:
		var b strings.Builder
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(l.Header, " | "), strings.Repeat("---|", len(l.Header)))
		for _, r := range l.Rows {
			esc := make([]string, len(r))
			for i, c := range r {
				esc[i] = mdEscape(c)
			}
			fmt.Fprintf(&b, "| %s |\n", strings.Join(esc, " | "))
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return listTable(w, l, o)
}

func listTable(w io.Writer, l *Listing, o Options) error {
	upper := make([]string, len(l.Header))
	for i, h := range l.Header {
		upper[i] = strings.ToUpper(h)
	}
	t := &table{widths: fitWidths(l.Header, l.Rows, o.width()), header: upper, rows: l.Rows}
	if err := t.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d %s\n", len(l.Rows), l.Kind)
	return err
}

func total(ws []int) int {
	n := 0
	for _, w := range ws {
		n += w
	}
	return n
}
