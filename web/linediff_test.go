package web

import (
	"strconv"
	"strings"
	"testing"
)

// render writes a diff as one line per entry, "-3 text" style, hunks
// separated by "@@ skipped N".
func (d *lineDiff) render() string {
	var b strings.Builder
	for _, h := range d.Hunks {
		b.WriteString("@@ skipped " + strconv.Itoa(h.Skipped) + "\n")
		for _, l := range h.Lines {
			b.WriteString(l.Op + l.Text + "\n")
		}
	}
	if d.Trailing > 0 {
		b.WriteString("@@ trailing " + strconv.Itoa(d.Trailing) + "\n")
	}
	return b.String()
}

func TestDiffLines(t *testing.T) {
	lines := func(n int, prefix string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(prefix + string(rune('a'+i)) + "\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, a, b, want string
		added, removed   int
	}{
		{name: "same", a: "x\ny\n", b: "x\ny\n", want: "@@ trailing 2\n"},
		{name: "empty to one", a: "", b: "x\n", want: "@@ skipped 0\n+x\n", added: 1},
		{name: "one to empty", a: "x", b: "", want: "@@ skipped 0\n-x\n", removed: 1},
		{name: "changed line, removal first", a: "a\nb\nc\n", b: "a\nB\nc\n", want: "@@ skipped 0\n a\n-b\n+B\n c\n", added: 1, removed: 1},
		{name: "crlf is the same text", a: "a\r\nb\r\n", b: "a\nb\n", want: "@@ trailing 2\n"},
		{name: "context of three, the rest skipped", a: lines(12, "l"), b: strings.Replace(lines(12, "l"), "lf\n", "LF\n", 1),
			want: "@@ skipped 2\n lc\n ld\n le\n-lf\n+LF\n lg\n lh\n li\n@@ trailing 3\n", added: 1, removed: 1},
		{name: "seven unchanged lines between changes share their hunk", a: lines(8, "l"), b: strings.Replace(lines(8, "l"), "la\n", "", 1) + "new\n",
			want: "@@ skipped 0\n-la\n lb\n lc\n ld\n le\n lf\n lg\n lh\n+new\n", added: 1, removed: 1},
		{name: "eight do not", a: lines(9, "l"), b: strings.Replace(lines(9, "l"), "la\n", "", 1) + "new\n",
			want: "@@ skipped 0\n-la\n lb\n lc\n ld\n@@ skipped 2\n lg\n lh\n li\n+new\n", added: 1, removed: 1},
		{name: "a lone line after the context is shown", a: lines(5, "l"), b: strings.Replace(lines(5, "l"), "la\n", "LA\n", 1),
			want: "@@ skipped 0\n-la\n+LA\n lb\n lc\n ld\n le\n", added: 1, removed: 1},
		{name: "a lone line before the context is shown", a: lines(5, "l"), b: strings.Replace(lines(5, "l"), "le\n", "LE\n", 1),
			want: "@@ skipped 0\n la\n lb\n lc\n ld\n-le\n+LE\n", added: 1, removed: 1},
		{name: "moved block", a: "1\n2\n3\n4\n", b: "3\n4\n1\n2\n", want: "@@ skipped 0\n-1\n-2\n 3\n 4\n+1\n+2\n", added: 2, removed: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diffLines(tc.a, tc.b)
			if got := d.render(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if d.Added != tc.added || d.Removed != tc.removed {
				t.Errorf("added %d removed %d, want %d %d", d.Added, d.Removed, tc.added, tc.removed)
			}
		})
	}
}

// FuzzDiffLines checks that the edit script gives back both texts, its
// line numbers count each text's lines, and the hunks cover every line
// of the script once.
func FuzzDiffLines(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x")
	f.Add("x\nx\nx\n", "x\ny\nx\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		script := editScript(splitLines(a), splitLines(b))
		var olds, news []string
		for _, l := range script {
			if l.Op != "+" {
				olds = append(olds, l.Text)
				if l.Old != len(olds) {
					t.Fatalf("old line number %d, want %d", l.Old, len(olds))
				}
			}
			if l.Op != "-" {
				news = append(news, l.Text)
				if l.New != len(news) {
					t.Fatalf("new line number %d, want %d", l.New, len(news))
				}
			}
		}
		if strings.Join(olds, "\n") != strings.Join(splitLines(a), "\n") || strings.Join(news, "\n") != strings.Join(splitLines(b), "\n") {
			t.Fatal("the script does not give back both texts")
		}
		hs, trailing := hunks(script)
		n := trailing
		for _, h := range hs {
			n += h.Skipped + len(h.Lines)
		}
		if n != len(script) {
			t.Fatalf("hunks cover %d lines of %d", n, len(script))
		}
	})
}
