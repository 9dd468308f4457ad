package render

import (
	"io"
	"strings"
	"unicode/utf8"
)

// table lays out rows of cells in columns of fixed widths, wrapping long
// cells onto further lines. paint, when set, colours a cell after layout.
type table struct {
	widths []int
	header []string
	rows   [][]string
	paint  func(row, col int, s string) string
}

func (t *table) write(w io.Writer) error {
	var b strings.Builder
	if t.header != nil {
		t.line(&b, -1, t.header)
		seps := make([]string, len(t.widths))
		for i, wd := range t.widths {
			seps[i] = strings.Repeat("─", wd)
		}
		t.line(&b, -1, seps)
	}
	for i, r := range t.rows {
		t.line(&b, i, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *table) line(b *strings.Builder, row int, cells []string) {
	wrapped := make([][]string, len(cells))
	height := 1
	for i, c := range cells {
		wrapped[i] = wrap(c, t.widths[i])
		height = max(height, len(wrapped[i]))
	}
	for l := 0; l < height; l++ {
		var parts []string
		for i := range cells {
			s := ""
			if l < len(wrapped[i]) {
				s = wrapped[i][l]
			}
			pad := strings.Repeat(" ", max(0, t.widths[i]-utf8.RuneCountInString(s)))
			if t.paint != nil && row >= 0 && s != "" {
				s = t.paint(row, i, s)
			}
			parts = append(parts, s+pad)
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " "))
		b.WriteByte('\n')
	}
}

// wrap breaks s into lines of at most width runes, at spaces where it can
// and inside long words where it must.
func wrap(s string, width int) []string {
	if width <= 0 {
		return []string{s}
	}
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			for utf8.RuneCountInString(word) > width {
				if cur != "" {
					lines = append(lines, cur)
					cur = ""
				}
				head, tail := splitWord(word, width)
				lines = append(lines, head)
				word = tail
			}
			switch {
			case cur == "":
				cur = word
			case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= width:
				cur += " " + word
			default:
				lines = append(lines, cur)
				cur = word
			}
		}
		lines = append(lines, cur)
	}
	return lines
}

// splitWord cuts a word longer than width, after the last '.', '-' or '/'
// that keeps the head within width, or at width when there is none.
func splitWord(word string, width int) (string, string) {
	r := []rune(word)
	for i := width - 1; i > 0; i-- {
		if r[i] == '.' || r[i] == '-' || r[i] == '/' {
			return string(r[:i+1]), string(r[i+1:])
		}
	}
	return string(r[:width]), string(r[width:])
}
