package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// BenchmarkRenderPerCombination renders the same operator combinations in-process (pkg/chartrender)
// and by forking `helm template` with a values file (the way terratest renders), in one run, and
// reports both per-combination times and their ratio. It also times Helm's template engine alone
// (engine.Render on values prepared beforehand): no in-process renderer built on the Helm SDK can be
// faster than that, so forked/engine ("x-ceiling") is the highest ratio this approach can reach.
//
//	make bench   # go test ./tests/ -run '^$' -bench . -benchtime 3x
func BenchmarkRenderPerCombination(b *testing.B) {
	helm, err := exec.LookPath("helm")
	if err != nil {
		b.Skip("SKIP: helm is not on PATH (the comparison forks it): run `make tools` and put ~/.cache/workload-rbac/tools on PATH, or use `make bench`")
	}
	spec, err := matrix.LoadSpec("matrix/operator.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(helm, "dependency", "build", spec.ChartPath()).CombinedOutput(); err != nil {
		b.Fatalf("helm dependency build: %v\n%s", err, out)
	}
	ch, err := chartrender.Load(spec.ChartPath())
	if err != nil {
		b.Fatal(err)
	}
	all, err := matrix.Expand(spec)
	if err != nil {
		b.Fatal(err)
	}
	var sample []matrix.Combination // 16 valid combinations spread over the matrix
	for i := 0; i < len(all) && len(sample) < 16; i += len(all) / 24 {
		if _, err := chartrender.Render(ch, chartrender.Options{ReleaseName: all[i].ReleaseName, Namespace: all[i].Namespace, Values: all[i].Values}); err == nil {
			sample = append(sample, all[i])
		}
	}
	dir := b.TempDir()
	files := make([]string, len(sample))
	for i, c := range sample {
		data, _ := yaml.Marshal(c.Values)
		files[i] = filepath.Join(dir, fmt.Sprintf("values-%d.yaml", i))
		if err := os.WriteFile(files[i], data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// What Render does before the engine runs, done here beforehand, so the engine is timed alone.
	charts := make([]*chart.Chart, len(sample))
	tops := make([]chartutil.Values, len(sample))
	for i, c := range sample {
		if charts[i], tops[i], err = chartrender.RenderValues(ch, chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values}); err != nil {
			b.Fatal(err)
		}
	}
	var inProc, forked, engineOnly time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		t0 := time.Now()
		for _, c := range sample {
			if _, err := chartrender.Render(ch, chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values}); err != nil {
				b.Fatal(err)
			}
		}
		inProc += time.Since(t0)
		t0 = time.Now()
		for i, c := range sample {
			cmd := exec.Command(helm, "template", c.ReleaseName, spec.ChartPath(), "-n", c.Namespace, "-f", files[i])
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("helm template %s: %v\n%s", c.Name(), err, out)
			}
		}
		forked += time.Since(t0)
		t0 = time.Now()
		for i, top := range tops {
			if _, err := engine.Render(charts[i], top); err != nil {
				b.Fatal(err)
			}
		}
		engineOnly += time.Since(t0)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*len(sample)) }
	b.ReportMetric(per(inProc)/1e6, "ms/combo-in-process")
	b.ReportMetric(per(forked)/1e6, "ms/combo-helm-template")
	b.ReportMetric(per(engineOnly)/1e6, "ms/combo-helm-engine-only")
	b.ReportMetric(per(forked)/per(inProc), "x-faster")
	b.ReportMetric(per(forked)/per(engineOnly), "x-ceiling")
}

// BenchmarkWholeMatrix renders and checks every combination of both charts, in parallel, as
// `make check` does (chart loading included).
func BenchmarkWholeMatrix(b *testing.B) {
	combos := 0
	for n := 0; n < b.N; n++ {
		combos = 0
		for _, path := range specs {
			spec, err := matrix.LoadSpec(path)
			if err != nil {
				b.Fatal(err)
			}
			ch, err := chartrender.Load(spec.ChartPath())
			if err != nil {
				b.Fatal(err)
			}
			cs, _ := matrix.Expand(spec)
			for _, o := range matrix.Render(context.Background(), ch, cs, 0) {
				if r := spec.Checks.Evaluate(o); r.Errors() > 0 {
					b.Fatalf("%s: %v", r.Name, r.Violations)
				}
			}
			combos += len(cs)
		}
	}
	b.ReportMetric(float64(combos), "combinations")
	b.ReportMetric(float64(combos)*float64(b.N)/b.Elapsed().Seconds(), "combinations/s")
}
