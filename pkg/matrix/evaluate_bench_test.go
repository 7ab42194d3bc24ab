package matrix

import (
	"context"
	"slices"
	"testing"
)

// BenchmarkEvaluateOperator times CheckConfig.Evaluate alone over every combination of the operator
// chart, rendered once beforehand (Helm v4, the default path): one op is all 192 combinations. It
// measures the checks, not the rendering; it asserts nothing about time.
func BenchmarkEvaluateOperator(b *testing.B) {
	spec, err := LoadSpec("../../tests/matrix/operator.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ch, err := spec.LoadChart()
	if err != nil {
		b.Fatal(err)
	}
	combos, err := Expand(spec)
	if err != nil {
		b.Fatal(err)
	}
	var outcomes []Outcome
	err = RenderStream(context.Background(), ch, slices.Values(combos), RunOptions{Workers: 1}, func(o Outcome) error {
		outcomes = append(outcomes, o)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rendered := 0
	for _, o := range outcomes {
		if o.Err == nil {
			rendered++
		}
	}
	if rendered == 0 {
		b.Fatal("no operator combination rendered")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, o := range outcomes {
			spec.Checks.Evaluate(o)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(outcomes)), "combinations")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(outcomes)), "ns/combination")
}
