package web

import "strings"

// A line diff of two versions of a YAML document, for "what changed":
// the lines removed and added, with a little unchanged text around each
// change so that a reader sees where it is.

// diffLine is one line of a diff.
type diffLine struct {
	// Op is "-" (only in the old text), "+" (only in the new) or " ".
	Op string
	// Old and New are the line's numbers in each text; 0 where it has
	// none.
	Old, New int
	Text     string
}

// Class is the CSS class of the line.
func (l diffLine) Class() string {
	switch l.Op {
	case "-":
		return "del"
	case "+":
		return "ins"
	}
	return "same"
}

// diffHunk is a run of changes with their context.
type diffHunk struct {
	// Skipped counts the unchanged lines before the hunk left out.
	Skipped int
	Lines   []diffLine
}

// lineDiff is what changed between two texts.
type lineDiff struct {
	Hunks []diffHunk
	// Trailing counts the unchanged lines after the last hunk left out.
	Trailing       int
	Added, Removed int
}

// diffContext is how many unchanged lines are kept around a change.
const diffContext = 3

// maxLCSCells bounds the table of the longest-common-subsequence search;
// a change bigger than that is shown as the old lines removed and the
// new added, which is still true, only not the shortest answer.
const maxLCSCells = 4 << 20

// diffLines compares two texts line by line.
func diffLines(before, after string) *lineDiff {
	lines := editScript(splitLines(before), splitLines(after))
	d := &lineDiff{}
	for _, l := range lines {
		switch l.Op {
		case "+":
			d.Added++
		case "-":
			d.Removed++
		}
	}
	d.Hunks, d.Trailing = hunks(lines)
	return d
}

// splitLines splits a text into lines, without a last empty one.
func splitLines(s string) []string {
	s = strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// editScript lists every line of both texts in order, each marked kept,
// removed or added. Lines common to both ends are matched first, so
// that the search only looks at what lies between.
func editScript(a, b []string) []diffLine {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []diffLine
	for i := range pre {
		out = append(out, diffLine{Op: " ", Old: i + 1, New: i + 1, Text: a[i]})
	}
	out = append(out, middle(a[pre:len(a)-suf], b[pre:len(b)-suf], pre)...)
	for k := suf; k > 0; k-- {
		i, j := len(a)-k, len(b)-k
		out = append(out, diffLine{Op: " ", Old: i + 1, New: j + 1, Text: a[i]})
	}
	return out
}

// middle diffs the differing middle parts of two texts, which start
// after skip common lines, by their longest common subsequence.
func middle(a, b []string, skip int) []diffLine {
	n, m := len(a), len(b)
	var out []diffLine
	if n*m > maxLCSCells {
		for i, s := range a {
			out = append(out, diffLine{Op: "-", Old: skip + i + 1, Text: s})
		}
		for j, s := range b {
			out = append(out, diffLine{Op: "+", New: skip + j + 1, Text: s})
		}
		return out
	}
	// lcs[i][j] is the length of the longest common subsequence of
	// a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, diffLine{Op: " ", Old: skip + i + 1, New: skip + j + 1, Text: a[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, diffLine{Op: "-", Old: skip + i + 1, Text: a[i]})
			i++
		default:
			out = append(out, diffLine{Op: "+", New: skip + j + 1, Text: b[j]})
			j++
		}
	}
	return out
}

// hunks groups the changes of an edit script with diffContext unchanged
// lines around each, and counts the unchanged lines left out after the
// last.
func hunks(lines []diffLine) ([]diffHunk, int) {
	var out []diffHunk
	last := -1 // index of the last line put in a hunk
	for i := 0; i < len(lines); i++ {
		if lines[i].Op == " " {
			continue
		}
		from := max(i-diffContext, last+1)
		if from == last+2 {
			from-- // one line left out would take as much room as showing it
		}
		if len(out) == 0 || from > last+1 {
			out = append(out, diffHunk{Skipped: from - (last + 1)})
		}
		h := &out[len(out)-1]
		// Take the change, and the context after it up to the next
		// change when that is near.
		end := i
		for end < len(lines) {
			if lines[end].Op != " " {
				end++
				continue
			}
			run := end
			for run < len(lines) && lines[run].Op == " " {
				run++
			}
			if run < len(lines) && run-end <= 2*diffContext+1 {
				end = run
				continue
			}
			end = min(end+diffContext, len(lines))
			if len(lines)-end == 1 {
				end++ // as above
			}
			break
		}
		h.Lines = append(h.Lines, lines[from:end]...)
		last = end - 1
		i = last
	}
	return out, len(lines) - (last + 1)
}
