package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
	"github.com/workload-rbac/workload-rbac/tests/helmcli"
)

// The benchmarks compare, per combination, rendering and checking in-process with forking
// `helm template` for the same combination (the way terratest renders). They measure and report;
// they assert nothing about time. Run them with `make bench` (one pass each, -benchtime 1x).

func helmCLI(b *testing.B) string {
	b.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		b.Skip("SKIP: helm is not on PATH (the comparison forks it): run `make tools` and put ~/.cache/workload-rbac/tools on PATH, or use `make bench`")
	}
	return helm
}

// helmDependencyBuild vendors chartPath's dependencies, as `helm template` on a checkout needs.
func helmDependencyBuild(b *testing.B, helm, chartPath string) {
	b.Helper()
	if out, err := exec.Command(helm, "dependency", "build", chartPath).CombinedOutput(); err != nil {
		b.Fatalf("helm dependency build %s: %v\n%s", chartPath, err, out)
	}
}

// forkPerCombination forks `helm template` for each of combos (a values file each) and returns the
// mean wall time of one fork.
func forkPerCombination(b *testing.B, helm, chartPath string, combos []matrix.Combination) time.Duration {
	b.Helper()
	dir := b.TempDir()
	var total time.Duration
	for i, c := range combos {
		data, _ := yaml.Marshal(c.Values)
		file := filepath.Join(dir, fmt.Sprintf("values-%d.yaml", i))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		cmd := exec.Command(helm, "template", c.ReleaseName, chartPath, "-n", c.Namespace, "-f", file)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("helm template %s: %v\n%s", c.Name(), err, out)
		}
		total += time.Since(t0)
	}
	return total / time.Duration(len(combos))
}

// inProcessPerCombination renders and checks every combo through matrix.RenderStream with opts and
// returns the mean wall time per combination (first renders included: parsing, key pool, caches).
func inProcessPerCombination(b *testing.B, ch matrix.Chart, combos []matrix.Combination, checks matrix.CheckConfig, opts matrix.RunOptions) time.Duration {
	b.Helper()
	t0 := time.Now()
	err := matrix.RenderStream(context.Background(), ch, slices.Values(combos), opts, func(o matrix.Outcome) error {
		checks.Evaluate(o)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(t0) / time.Duration(len(combos))
}

// sampleValid picks up to n combinations spread over combos that render without error.
func sampleValid(ch *chart.Chart, combos []matrix.Combination, n int) []matrix.Combination {
	var out []matrix.Combination
	step := max(1, len(combos)/(n+n/2))
	for i := 0; i < len(combos) && len(out) < n; i += step {
		c := combos[i]
		if _, err := chartrender.Render(ch, chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values}); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// compare reports, for combos of ch, ms per combination forked and in-process (parse-once engine,
// and Helm's engine.Render with fresh keys for reference), and the ratios. One worker in-process,
// as the fork is one process at a time.
func compare(b *testing.B, chartPath string, ch *chart.Chart, combos []matrix.Combination, checks matrix.CheckConfig) {
	helm := helmCLI(b)
	sample := sampleValid(ch, combos, 16)
	if len(sample) == 0 {
		b.Fatal("no combination renders")
	}
	var forked, ours, helmEngine time.Duration
	for n := 0; n < b.N; n++ {
		forked += forkPerCombination(b, helm, chartPath, sample)
		ours += inProcessPerCombination(b, ch, combos, checks, matrix.RunOptions{Workers: 1})
		helmEngine += inProcessPerCombination(b, ch, combos, checks, matrix.RunOptions{Workers: 1, Render: chartrender.Options{Engine: chartrender.EngineHelm, RealCrypto: true}})
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / 1e6 }
	b.ReportMetric(float64(len(combos)), "combinations")
	b.ReportMetric(ms(forked), "ms/combo-helm-template")
	b.ReportMetric(ms(ours), "ms/combo-in-process")
	b.ReportMetric(ms(helmEngine), "ms/combo-in-process-helm-engine")
	b.ReportMetric(ms(forked)/ms(ours), "x-faster")
	b.ReportMetric(ms(forked)/ms(helmEngine), "x-faster-helm-engine")
}

// BenchmarkOperator: every combination of the operator chart, rendered and checked in-process, vs
// `helm template` forked for 16 valid combinations spread over the matrix.
func BenchmarkOperator(b *testing.B) {
	helm := helmCLI(b)
	spec, ch, combos := loadSpecChart(b, "matrix/operator.yaml")
	helmDependencyBuild(b, helm, spec.ChartPath())
	compare(b, spec.ChartPath(), ch, combos, spec.Checks)
}

// BenchmarkOperatorHelmMajors: every combination of the operator chart rendered and checked in-process
// with the Helm v4 SDK (helmv4.Render, Helm v4's engine.Render) and with the Helm v3 SDK (the parse-once
// engine), vs forking `helm4 template` (v4.3.1) and `helm template` (v3.22) for 16 valid combinations;
// one worker each. The ratios: fork/in-process per major, and the v4 SDK path against the v3 one.
func BenchmarkOperatorHelmMajors(b *testing.B) {
	helm, helm4 := helmCLI(b), helmcli.CLI(b, matrix.HelmV4)
	spec, v3, combos := loadSpecChart(b, "matrix/operator.yaml")
	helmDependencyBuild(b, helm, spec.ChartPath())
	v4, err := matrix.LoadChart(spec.ChartPath(), matrix.HelmV4)
	if err != nil {
		b.Fatal(err)
	}
	sample := sampleValid(v3, combos, 16)
	var fork3, fork4, sdk3, sdk4 time.Duration
	for n := 0; n < b.N; n++ {
		fork4 += forkPerCombination(b, helm4, spec.ChartPath(), sample)
		fork3 += forkPerCombination(b, helm, spec.ChartPath(), sample)
		sdk4 += inProcessPerCombination(b, v4, combos, spec.Checks, matrix.RunOptions{Workers: 1, Helm: matrix.HelmV4})
		sdk3 += inProcessPerCombination(b, v3, combos, spec.Checks, matrix.RunOptions{Workers: 1, Helm: matrix.HelmV3})
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / 1e6 }
	b.ReportMetric(float64(len(combos)), "combinations")
	b.ReportMetric(ms(sdk4), "ms/combo-v4-sdk")
	b.ReportMetric(ms(sdk3), "ms/combo-v3-sdk")
	b.ReportMetric(ms(fork4), "ms/combo-helm4-template")
	b.ReportMetric(ms(fork3), "ms/combo-helm3-template")
	b.ReportMetric(ms(fork4)/ms(sdk4), "x-helm4-template/v4-sdk")
	b.ReportMetric(ms(fork3)/ms(sdk3), "x-helm3-template/v3-sdk")
	b.ReportMetric(ms(sdk4)/ms(sdk3), "x-v4-sdk/v3-sdk")
	b.ReportMetric(ms(fork4)/ms(fork3), "x-helm4/helm3-template")
}

// BenchmarkHeavyFixture: 64 combinations of the heavy fixture (a hundred named templates, tpl, genCA
// and genSignedCert, ~2 MB of CRDs).
func BenchmarkHeavyFixture(b *testing.B) {
	h := heavyFixture(b)
	compare(b, h.dir, h.chart, h.combos(6), matrix.CheckConfig{})
}

// BenchmarkWholeMatrix renders and checks every combination of every spec under tests/matrix/, as
// `make check` does (chart loading included, GOMAXPROCS workers), and compares with forking
// `helm template` for 16 combinations of each.
func BenchmarkWholeMatrix(b *testing.B) {
	helm := helmCLI(b)
	paths, _ := filepath.Glob("matrix/*.yaml")
	var combos int
	var ours, forked time.Duration
	for n := 0; n < b.N; n++ {
		combos = 0
		for _, path := range paths {
			t0 := time.Now()
			spec, ch, cs := loadSpecChart(b, path)
			err := matrix.RenderEach(context.Background(), ch, slices.Values(cs), 0, func(o matrix.Outcome) error {
				if r := spec.Checks.Evaluate(o); r.Errors() > 0 {
					return fmt.Errorf("%s: %v", r.Name, r.Violations)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			ours += time.Since(t0)
			helmDependencyBuild(b, helm, spec.ChartPath())
			forked += forkPerCombination(b, helm, spec.ChartPath(), sampleValid(ch, cs, 16)) * time.Duration(len(cs))
			combos += len(cs)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*combos) / 1e6 }
	b.ReportMetric(float64(combos), "combinations")
	b.ReportMetric(per(ours), "ms/combo-in-process")
	b.ReportMetric(per(forked), "ms/combo-helm-template")
	b.ReportMetric(per(forked)/per(ours), "x-faster")
}

// BenchmarkHeavyPeakRSS renders and checks 64 and then 1,024 combinations of the heavy fixture, each
// run in a child process (TestHeavyRSSChild), and reports each child's peak RSS and their ratio.
func BenchmarkHeavyPeakRSS(b *testing.B) {
	rss := func(n int) float64 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHeavyRSSChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HEAVY_RSS_FLAGS="+strconv.Itoa(n))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // KiB on Linux
	}
	var small, large float64
	for n := 0; n < b.N; n++ {
		small, large = max(small, rss(6)), max(large, rss(10))
	}
	b.ReportMetric(small, "MiB-peak-RSS-64")
	b.ReportMetric(large, "MiB-peak-RSS-1024")
	b.ReportMetric(large/small, "x-RSS-1024/64")
}

// TestHeavyRSSChild is BenchmarkHeavyPeakRSS's child: with HEAVY_RSS_FLAGS=n it streams the 2^n
// combinations of the heavy fixture through render and checks; otherwise it skips.
func TestHeavyRSSChild(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("HEAVY_RSS_FLAGS"))
	if err != nil {
		t.Skip("run by BenchmarkHeavyPeakRSS")
	}
	h := heavyFixture(t)
	rendered := 0
	err = matrix.RenderEach(context.Background(), h.chart, slices.Values(h.combos(n)), 0, func(o matrix.Outcome) error {
		if o.Err != nil {
			return o.Err
		}
		matrix.CheckConfig{}.Evaluate(o)
		rendered++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rendered != 1<<n {
		t.Fatalf("rendered %d of %d", rendered, 1<<n)
	}
}
