package check

import (
	"context"
	"testing"
)

// Every built-in policy's own examples judge as they say.
func TestBuiltinExamples(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range RunExamples(context.Background(), set, nil) {
		if r.Skipped {
			continue
		}
		if !r.OK {
			t.Errorf("%s: policy %s: example %q: got %s, want %s (%s)", r.Example.Pos, r.Policy.ID, r.Example.Name, r.Got, r.Example.Expect, r.Detail)
		}
	}
}
