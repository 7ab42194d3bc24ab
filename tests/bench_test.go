package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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

// cost is what one combination costs: wall time, and CPU time (user + system, every thread): on a
// shared machine the wall time swings with the load, the CPU time much less.
type cost struct{ wall, cpu time.Duration }

func (c cost) add(o cost) cost { return cost{c.wall + o.wall, c.cpu + o.cpu} }

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// forkPerCombination forks `helm template` for each of combos (a values file each) and returns the
// mean cost of one fork (the child's CPU time).
func forkPerCombination(b *testing.B, helm, chartPath string, combos []matrix.Combination) cost {
	b.Helper()
	dir := b.TempDir()
	var total cost
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
		total = total.add(cost{time.Since(t0), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()})
	}
	return cost{total.wall / time.Duration(len(combos)), total.cpu / time.Duration(len(combos))}
}

// inProcessPerCombination renders and checks every combo through matrix.RenderStream with opts and
// returns the mean cost per combination (first renders included: parsing, key pool, caches; the CPU
// time is the whole process's, garbage collection included).
func inProcessPerCombination(b *testing.B, ch matrix.Chart, combos []matrix.Combination, checks matrix.CheckConfig, opts matrix.RunOptions) cost {
	b.Helper()
	t0, cpu0 := time.Now(), selfCPU()
	err := matrix.RenderStream(context.Background(), ch, slices.Values(combos), opts, func(o matrix.Outcome) error {
		checks.Evaluate(o)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	n := time.Duration(len(combos))
	return cost{time.Since(t0) / n, (selfCPU() - cpu0) / n}
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
	var forked, ours, helmEngine cost
	for n := 0; n < b.N; n++ {
		forked = forked.add(forkPerCombination(b, helm, chartPath, sample))
		ours = ours.add(inProcessPerCombination(b, ch, combos, checks, matrix.RunOptions{Workers: 1}))
		helmEngine = helmEngine.add(inProcessPerCombination(b, ch, combos, checks, matrix.RunOptions{Workers: 1, Render: chartrender.Options{Engine: chartrender.EngineHelm, RealCrypto: true}}))
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / 1e6 }
	b.ReportMetric(float64(len(combos)), "combinations")
	b.ReportMetric(ms(forked.wall), "ms/combo-helm-template")
	b.ReportMetric(ms(ours.wall), "ms/combo-in-process")
	b.ReportMetric(ms(helmEngine.wall), "ms/combo-in-process-helm-engine")
	b.ReportMetric(ms(forked.wall)/ms(ours.wall), "x-faster")
	b.ReportMetric(ms(forked.wall)/ms(helmEngine.wall), "x-faster-helm-engine")
	b.ReportMetric(ms(forked.cpu), "ms-cpu/combo-helm-template")
	b.ReportMetric(ms(ours.cpu), "ms-cpu/combo-in-process")
	b.ReportMetric(ms(forked.cpu)/ms(ours.cpu), "x-faster-cpu")
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
	var fork3, fork4, sdk3, sdk4 cost
	for n := 0; n < b.N; n++ {
		fork4 = fork4.add(forkPerCombination(b, helm4, spec.ChartPath(), sample))
		fork3 = fork3.add(forkPerCombination(b, helm, spec.ChartPath(), sample))
		sdk4 = sdk4.add(inProcessPerCombination(b, v4, combos, spec.Checks, matrix.RunOptions{Workers: 1, Helm: matrix.HelmV4}))
		sdk3 = sdk3.add(inProcessPerCombination(b, v3, combos, spec.Checks, matrix.RunOptions{Workers: 1, Helm: matrix.HelmV3}))
	}
	ms := func(c cost) float64 { return float64(c.wall.Nanoseconds()) / float64(b.N) / 1e6 }
	b.ReportMetric(float64(len(combos)), "combinations")
	b.ReportMetric(ms(sdk4), "ms/combo-v4-sdk")
	b.ReportMetric(ms(sdk3), "ms/combo-v3-sdk")
	b.ReportMetric(ms(fork4), "ms/combo-helm4-template")
	b.ReportMetric(ms(fork3), "ms/combo-helm3-template")
	b.ReportMetric(ms(fork4)/ms(sdk4), "x-helm4-template/v4-sdk")
	b.ReportMetric(ms(fork3)/ms(sdk3), "x-helm3-template/v3-sdk")
	b.ReportMetric(ms(sdk4)/ms(sdk3), "x-v4-sdk/v3-sdk")
	b.ReportMetric(float64(fork4.cpu)/float64(sdk4.cpu), "x-helm4-template/v4-sdk-cpu")
	b.ReportMetric(float64(fork3.cpu)/float64(sdk3.cpu), "x-helm3-template/v3-sdk-cpu")
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
	var ours, forked cost
	for n := 0; n < b.N; n++ {
		combos = 0
		for _, path := range paths {
			t0, cpu0 := time.Now(), selfCPU()
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
			ours = ours.add(cost{time.Since(t0), selfCPU() - cpu0})
			helmDependencyBuild(b, helm, spec.ChartPath())
			f := forkPerCombination(b, helm, spec.ChartPath(), sampleValid(ch, cs, 16))
			forked = forked.add(cost{f.wall * time.Duration(len(cs)), f.cpu * time.Duration(len(cs))})
			combos += len(cs)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*combos) / 1e6 }
	b.ReportMetric(float64(combos), "combinations")
	b.ReportMetric(per(ours.wall), "ms/combo-in-process")
	b.ReportMetric(per(forked.wall), "ms/combo-helm-template")
	b.ReportMetric(per(forked.wall)/per(ours.wall), "x-faster")
	b.ReportMetric(per(forked.cpu)/per(ours.cpu), "x-faster-cpu")
}

// BenchmarkHeavyPeakRSS runs `rbac-matrix check` (the CLI, built for the run) on 64 and then 1,024
// combinations of the heavy fixture, each in its own process, and reports each one's peak RSS and
// their ratio: the path `make check` takes, streaming included. It fails when 16 times the
// combinations costs more than 25% more memory.
func BenchmarkHeavyPeakRSS(b *testing.B) {
	h := heavyFixture(b)
	cli := filepath.Join(b.TempDir(), "rbac-matrix")
	if out, err := exec.Command("go", "build", "-o", cli, "../cmd/rbac-matrix").CombinedOutput(); err != nil {
		b.Fatalf("go build ../cmd/rbac-matrix: %v\n%s", err, out)
	}
	var small, large float64
	for n := 0; n < b.N; n++ {
		small, large = max(small, heavyCheckRSS(b, cli, h, 6)), max(large, heavyCheckRSS(b, cli, h, 10))
	}
	b.ReportMetric(small, "MiB-peak-RSS-64")
	b.ReportMetric(large, "MiB-peak-RSS-1024")
	b.ReportMetric(large/small, "x-RSS-1024/64")
	if large > 1.25*small {
		b.Errorf("peak RSS grows with the combinations: %.0f MiB at 1,024, %.0f MiB at 64", large, small)
	}
}

// heavyCheckRSS runs `rbac-matrix check` over the 2^flags combinations of the heavy fixture's first
// flags and returns its peak RSS in MiB.
func heavyCheckRSS(b *testing.B, cli string, h heavyChart, flags int) float64 {
	b.Helper()
	spec := fmt.Sprintf("chart: %s\nrelease: {name: rel, namespace: apps}\naxes:\n", h.dir)
	for f := 0; f < flags; f++ {
		spec += fmt.Sprintf("  - {path: features.f%d, values: [false, true]}\n", f)
	}
	file := filepath.Join(b.TempDir(), "heavy.yaml")
	if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(cli, "check", "--spec", file, "--summary")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code > 1 || !strings.Contains(string(out), fmt.Sprintf("%d combinations checked", 1<<flags)) {
		b.Fatalf("rbac-matrix check (%d combinations): %v\n%s", 1<<flags, err, out)
	}
	return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // KiB on Linux
}
