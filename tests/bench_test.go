package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

// The benchmarks compare, per combination, rendering and checking in-process with forking the Helm CLI
// of the same major for the same combination (the way terratest renders): the Helm v4 SDK path with
// `helm4 template`, the Helm v3 SDK path with `helm template`. They measure and report;
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

// sampleValid picks up to n combinations spread over combos that render without error (with the
// Helm major that loaded ch).
func sampleValid(b *testing.B, ch matrix.Chart, combos []matrix.Combination, n int) []matrix.Combination {
	b.Helper()
	render, err := matrix.Renderer(ch, "")
	if err != nil {
		b.Fatal(err)
	}
	var out []matrix.Combination
	step := max(1, len(combos)/(n+n/2))
	for i := 0; i < len(combos) && len(out) < n; i += step {
		c := combos[i]
		if _, err := render(c.RenderOptions(chartrender.Options{})); err == nil {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		b.Fatal("no combination renders")
	}
	return out
}

// majorCost is one Helm major's cost per combination: forked `helm template` of that major, and the
// SDK path of that major in-process.
type majorCost struct{ forked, sdk cost }

// compareMajors reports, per combination of the chart at chartPath, for each Helm major: forking that
// major's CLI (`helm4 template`, `helm template`; for 16 valid combinations spread over the matrix)
// against rendering and checking in-process with that major's SDK path (helmv4.Render,
// chartrender.Render; every combination, one worker, as the fork is one process at a time): ms per
// combination, wall and CPU, and fork/in-process ratios. v3 is the chart as Helm v3 loaded it.
func compareMajors(b *testing.B, chartPath string, v3 *chart.Chart, combos []matrix.Combination, checks matrix.CheckConfig) {
	b.Helper()
	v4, err := matrix.LoadChart(chartPath, matrix.HelmV4)
	if err != nil {
		b.Fatal(err)
	}
	majors := []struct {
		name string
		ch   matrix.Chart
		cli  string
	}{{"v4", v4, helmcli.CLI(b, matrix.HelmV4)}, {"v3", v3, helmCLI(b)}}
	sample := sampleValid(b, v4, combos, 16)
	costs := make([]majorCost, len(majors))
	for n := 0; n < b.N; n++ {
		for i, m := range majors {
			costs[i].forked = costs[i].forked.add(forkPerCombination(b, m.cli, chartPath, sample))
			costs[i].sdk = costs[i].sdk.add(inProcessPerCombination(b, m.ch, combos, checks, matrix.RunOptions{Workers: 1}))
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / 1e6 }
	b.ReportMetric(float64(len(combos)), "combinations")
	for i, m := range majors {
		cli := map[string]string{"v4": "helm4", "v3": "helm3"}[m.name] + "-template"
		c := costs[i]
		b.ReportMetric(ms(c.sdk.wall), "ms/combo-"+m.name+"-sdk")
		b.ReportMetric(ms(c.forked.wall), "ms/combo-"+cli)
		b.ReportMetric(ms(c.sdk.cpu), "ms-cpu/combo-"+m.name+"-sdk")
		b.ReportMetric(ms(c.forked.cpu), "ms-cpu/combo-"+cli)
		b.ReportMetric(ms(c.forked.wall)/ms(c.sdk.wall), "x-"+cli+"/"+m.name+"-sdk")
		b.ReportMetric(ms(c.forked.cpu)/ms(c.sdk.cpu), "x-"+cli+"/"+m.name+"-sdk-cpu")
	}
}

// BenchmarkOperator: every combination of the operator chart, rendered and checked in-process with
// the Helm v4 SDK path (the default) and the Helm v3 SDK path (parse-once engine), each against
// forking its own major's CLI (`helm4 template` v4.3.1, `helm template` v3.22).
func BenchmarkOperator(b *testing.B) {
	spec, ch, combos := loadSpecChart(b, "matrix/operator.yaml")
	helmDependencyBuild(b, helmCLI(b), spec.ChartPath())
	compareMajors(b, spec.ChartPath(), ch, combos, spec.Checks)
}

// BenchmarkHeavyFixture: 64 combinations of the heavy fixture (a hundred named templates, tpl, genCA
// and genSignedCert, ~2 MB of CRDs), each Helm major's SDK path against its own CLI.
func BenchmarkHeavyFixture(b *testing.B) {
	h := heavyFixture(b)
	compareMajors(b, h.dir, h.chart, h.combos(6), matrix.CheckConfig{})
}

// BenchmarkWholeMatrix renders and checks every combination of every spec under tests/matrix/ on the
// default path (Helm v4, chart loading included, GOMAXPROCS workers), as `make check` does, and
// compares with forking `helm4 template` for 16 combinations of each.
func BenchmarkWholeMatrix(b *testing.B) {
	helm, helm4 := helmCLI(b), helmcli.CLI(b, matrix.HelmV4)
	paths, _ := filepath.Glob("matrix/*.yaml")
	var combos int
	var ours, forked cost
	for n := 0; n < b.N; n++ {
		combos = 0
		for _, path := range paths {
			t0, cpu0 := time.Now(), selfCPU()
			spec, err := matrix.LoadSpec(path)
			if err != nil {
				b.Fatal(err)
			}
			ch, err := spec.LoadChart()
			if err != nil {
				b.Fatal(err)
			}
			cs, err := matrix.Expand(spec)
			if err != nil {
				b.Fatal(err)
			}
			err = matrix.RenderEach(context.Background(), ch, slices.Values(cs), 0, func(o matrix.Outcome) error {
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
			f := forkPerCombination(b, helm4, spec.ChartPath(), sampleValid(b, ch, cs, 16))
			forked = forked.add(cost{f.wall * time.Duration(len(cs)), f.cpu * time.Duration(len(cs))})
			combos += len(cs)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*combos) / 1e6 }
	b.ReportMetric(float64(combos), "combinations")
	b.ReportMetric(per(ours.wall), "ms/combo-default-v4-sdk")
	b.ReportMetric(per(forked.wall), "ms/combo-helm4-template")
	b.ReportMetric(per(ours.cpu), "ms-cpu/combo-default-v4-sdk")
	b.ReportMetric(per(forked.cpu), "ms-cpu/combo-helm4-template")
	b.ReportMetric(per(forked.wall)/per(ours.wall), "x-helm4-template/v4-sdk")
	b.ReportMetric(per(forked.cpu)/per(ours.cpu), "x-helm4-template/v4-sdk-cpu")
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
// flags and returns its peak RSS in MiB: the VmHWM of its /proc status, read every few milliseconds
// until it exits (the high-water mark only grows, so the last reading is the peak but for the last
// milliseconds). The child's rusage ru_maxrss cannot be used: Go starts children with vfork, and
// Linux records the parent's high-water RSS into the child's maxrss when the child execs, so it
// reports this test process's RSS whenever that is the larger.
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
	var out strings.Builder
	cmd := exec.Command(cli, "check", "--spec", file, "--summary")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var hwm int64 // KiB
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var err error
	for done := false; !done; {
		select {
		case err = <-exited:
			done = true
		case <-time.After(5 * time.Millisecond):
			hwm = max(hwm, vmHWM(status))
		}
	}
	if code := cmd.ProcessState.ExitCode(); code > 1 || !strings.Contains(out.String(), fmt.Sprintf("%d combinations checked", 1<<flags)) {
		b.Fatalf("rbac-matrix check (%d combinations): %v\n%s", 1<<flags, err, out.String())
	}
	if hwm == 0 {
		b.Fatalf("rbac-matrix check (%d combinations): no VmHWM read from %s", 1<<flags, status)
	}
	return float64(hwm) / 1024
}

// vmHWM is the VmHWM line of a /proc/PID/status file in KiB (0 when it cannot be read: the process
// has exited, or is a zombie without memory).
func vmHWM(status string) int64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}
