package yamlfile_test

import (
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/yamlfile"
)

const anySchema = `{"type": "object"}`

// A few lines of nested aliases must be refused quickly, not expanded.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	doc, err := yamlfile.Parse("bomb.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	sch, err := yamlfile.CompileSchema("urn:test", anySchema)
	if err != nil {
		t.Fatal(err)
	}
	ps := doc.Validate(sch)
	if len(ps) == 0 || !strings.Contains(ps.Error(), "aliases") {
		t.Fatalf("alias bomb not refused: %v", ps)
	}
}

func TestParseAtShiftsLines(t *testing.T) {
	_, err := yamlfile.ParseAt("stream.yaml", []byte("a: [\n"), 41)
	if err == nil || !strings.Contains(err.Error(), "stream.yaml:4") {
		t.Fatalf("err = %v, want a line counted from the stream start", err)
	}
	doc, err := yamlfile.ParseAt("stream.yaml", []byte("a: 1\nb: 2\n"), 41)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Pos("b").Line; got != 42 {
		t.Errorf("line of b = %d, want 42", got)
	}
}
