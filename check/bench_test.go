package check

import (
	"context"
	"testing"

	"github.com/demarc-io/demarc"
)

// BenchmarkEngine evaluates the built-in pack over synthetic resources
// built from the pack's own examples; it reports resources and
// evaluations per second.
func BenchmarkEngine(b *testing.B) {
	set, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	snap := syntheticSnapshot(20_000, 0)
	e := NewEngine(set, Options{})
	b.ReportAllocs()
	b.ResetTimer()
	evals := 0
	for b.Loop() {
		err := CheckSnapshots(context.Background(), e, []*demarc.Snapshot{snap}, func(bt Batch) { evals += len(bt.Results) })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(snap.Resources)*b.N)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(evals)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkLoadBuiltin compiles the whole built-in pack: the start-up cost
// of every 'demarc check'.
func BenchmarkLoadBuiltin(b *testing.B) {
	names, contents, err := BuiltinFiles()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for i := range names {
			if _, ps := Parse(names[i], contents[i], LoadOptions{}); len(ps) > 0 {
				b.Fatal(ps)
			}
		}
	}
}

func benchExpression(b *testing.B, expr string) {
	p, _, err := compileExpr(expr, DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	snap := &demarc.Snapshot{Resources: []demarc.Resource{{ID: "x", Type: "aws_s3_bucket", Attributes: map[string]any{
		"bucket": "b", "acl": "private", "versioning": []any{map[string]any{"enabled": true}},
		"ingress": []any{map[string]any{"cidr_blocks": []any{"10.0.0.0/8", "0.0.0.0/0"}}}}}}}
	w := newWorker(b.Context(), NewEngine(&PolicySet{}, Options{}))
	w.ec.reset(newResourceIndex(snap), &snap.Resources[0])
	b.ReportAllocs()
	for b.Loop() {
		w.exec(p)
	}
}

// Single expressions of the kinds the pack uses, on one resource.
func BenchmarkExpressionSelect(b *testing.B) { benchExpression(b, `resource.acl != "public-read"`) }
func BenchmarkExpressionGet(b *testing.B) {
	benchExpression(b, `isTrue(get(resource, "versioning.enabled"))`)
}
func BenchmarkExpressionValues(b *testing.B) {
	benchExpression(b, `!values(resource, "ingress.cidr_blocks").exists(c, isOpenCIDR(c))`)
}
func BenchmarkExpressionNestedExists(b *testing.B) {
	benchExpression(b, `!resource.ingress.exists(i, i.cidr_blocks.exists(c, c == "0.0.0.0/0"))`)
}
