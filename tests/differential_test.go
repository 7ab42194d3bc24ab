package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/workload-rbac/workload-rbac/pkg/chartrender"
	"github.com/workload-rbac/workload-rbac/pkg/helmv4"
	"github.com/workload-rbac/workload-rbac/pkg/matrix"
)

// differentialTarget is a chart and the combinations to render it with.
type differentialTarget struct {
	name   string
	path   string // the chart's directory
	chart  *chart.Chart
	combos []matrix.Combination
}

// loadSpecChart loads the matrix spec at path, its chart and its combinations.
func loadSpecChart(t testing.TB, path string) (*matrix.Spec, *chart.Chart, []matrix.Combination) {
	t.Helper()
	spec, err := matrix.LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := chartrender.Load(spec.ChartPath())
	if err != nil {
		t.Fatal(err)
	}
	combos, err := matrix.Expand(spec)
	if err != nil {
		t.Fatal(err)
	}
	return spec, ch, combos
}

// differentialTargets lists every spec under tests/matrix/, every fixture chart under tests/fixtures/
// (its matrix.yaml combinations, or its defaults when it has none) and the heavy fixture.
func differentialTargets(t testing.TB) []differentialTarget {
	t.Helper()
	var out []differentialTarget
	add := func(name, specPath string) {
		spec, ch, combos := loadSpecChart(t, specPath)
		out = append(out, differentialTarget{name, spec.ChartPath(), ch, combos})
	}
	specPaths, _ := filepath.Glob("matrix/*.yaml")
	for _, p := range specPaths {
		add(p, p)
	}
	dirs, err := os.ReadDir("fixtures")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		dir := filepath.Join("fixtures", d.Name())
		if _, err := os.Stat(filepath.Join(dir, "matrix.yaml")); err == nil {
			add(dir, filepath.Join(dir, "matrix.yaml"))
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
			continue
		}
		ch, err := chartrender.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, differentialTarget{dir, dir, ch, []matrix.Combination{{ReleaseName: "rel", Namespace: "apps"}}})
	}
	heavy := heavyFixture(t)
	out = append(out, differentialTarget{"heavy fixture", heavy.dir, heavy.chart, heavy.combos(6)})
	return out
}

var pemBlock = regexp.MustCompile(`-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END ([A-Z ]+)-----`)

// renderedFiles renders c with the engine e and returns the files (or the error) as one string.
// Certificates and keys are replaced by their PEM type: Helm makes new ones on every render.
func renderedFiles(ch *chart.Chart, c matrix.Combination, e chartrender.Engine) (string, error) {
	return renderedFilesWith(ch, chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values, Engine: e})
}

func renderedFilesWith(ch *chart.Chart, opts chartrender.Options) (string, error) {
	rc, top, err := chartrender.RenderValues(ch, opts)
	if err != nil {
		return "", err
	}
	files, err := chartrender.RenderTemplates(rc, top, opts)
	return joinedFiles(files, err), nil
}

// renderedFilesV4 is renderedFiles through Helm v4: the v4 chart of ch, helmv4.RenderValues and
// helmv4.RenderTemplates with the engine e (Helm v4's engine.Engine{}, or helmv4's parse-once engine).
func renderedFilesV4(ch *chart.Chart, c matrix.Combination, e chartrender.Engine) (string, error) {
	return renderedFilesV4With(ch, chartrender.Options{ReleaseName: c.ReleaseName, Namespace: c.Namespace, Values: c.Values, Engine: e})
}

func renderedFilesV4With(ch *chart.Chart, opts chartrender.Options) (string, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = "release"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	v4, err := helmv4.FromV3(ch)
	if err != nil {
		return "", err
	}
	rc, top, err := helmv4.RenderValues(v4, opts)
	if err != nil {
		return "", err
	}
	files, err := helmv4.RenderTemplates(rc, top, opts)
	return joinedFiles(files, err), nil
}

// joinedFiles is files in name order as one string, or "ERROR: " and err; PEM blocks become their type.
func joinedFiles(files map[string]string, err error) string {
	if err != nil {
		return "ERROR: " + err.Error()
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "== %s\n%s\n", n, files[n])
	}
	return pemBlock.ReplaceAllString(b.String(), "<PEM $1>")
}

// TestParseOnceEngineMatchesHelm renders every combination of every chart with Helm's engine.Render
// and with the parse-once engine and requires identical files, or identical errors.
func TestParseOnceEngineMatchesHelm(t *testing.T) {
	compareEngines(t, renderedFiles)
}

// TestParseOnceEngineMatchesHelmV4 is TestParseOnceEngineMatchesHelm for Helm v4: every combination
// of every chart through Helm v4's engine.Engine{}.RenderWithContext and through helmv4's parse-once
// engine (key pool on: keys and certificates compare by PEM type).
func TestParseOnceEngineMatchesHelmV4(t *testing.T) {
	compareEngines(t, renderedFilesV4)
}

// compareEngines renders every combination of every differential target with render and
// chartrender.EngineHelm, then chartrender.EngineParseOnce, and requires the same output.
func compareEngines(t *testing.T, render func(*chart.Chart, matrix.Combination, chartrender.Engine) (string, error)) {
	total, failing := 0, 0
	for _, tg := range differentialTargets(t) {
		type diff struct{ reached, failed bool }
		results := make([]diff, len(tg.combos))
		var wg sync.WaitGroup
		jobs := make(chan int)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					c := tg.combos[i]
					helm, err := render(tg.chart, c, chartrender.EngineHelm)
					if err != nil {
						continue // values or schema rejected before any template runs: no engine involved
					}
					ours, err := render(tg.chart, c, chartrender.EngineParseOnce)
					if err != nil {
						t.Errorf("%s %s: %v", tg.name, c.Name(), err)
						continue
					}
					if helm != ours {
						t.Errorf("%s %s: parse-once output differs from Helm's engine:\n%s", tg.name, c.Name(), lineDiff(helm, ours))
					}
					results[i] = diff{true, strings.HasPrefix(helm, "ERROR: ")}
				}
			}()
		}
		for i := range tg.combos {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		n := 0
		for _, r := range results {
			if r.reached {
				n++
			}
			if r.failed {
				failing++
			}
		}
		if n == 0 {
			t.Errorf("%s: no combination reached the template engine", tg.name)
		}
		total += n
		t.Logf("%s: %d of %d combinations reached the engine, all identical", tg.name, n, len(tg.combos))
	}
	t.Logf("total: %d combinations identical (%d of them failing with the same error)", total, failing)
}

// TestParseOnceEngineFailsAsHelmDoes renders every invalid-values case of tests/invalid_test.go with the
// schema skipped, so the templates' own guards (fail, required) run, through both engines: the errors
// must be identical, word for word.
func TestParseOnceEngineFailsAsHelmDoes(t *testing.T) {
	compareFailures(t, renderedFilesWith)
}

// TestParseOnceEngineFailsAsHelmV4Does is TestParseOnceEngineFailsAsHelmDoes through Helm v4.
func TestParseOnceEngineFailsAsHelmV4Does(t *testing.T) {
	compareFailures(t, renderedFilesV4With)
}

func compareFailures(t *testing.T, render func(*chart.Chart, chartrender.Options) (string, error)) {
	n := 0
	for _, c := range invalidCases {
		if c.template == "" {
			continue
		}
		ch, err := chartrender.Load("../charts/" + c.chart)
		if err != nil {
			t.Fatal(err)
		}
		opts := chartrender.Options{ReleaseName: c.release, Values: c.values, SkipSchemaValidation: true, Engine: chartrender.EngineHelm}
		helm, err := render(ch, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		opts.Engine = chartrender.EngineParseOnce
		ours, _ := render(ch, opts)
		if !strings.HasPrefix(helm, "ERROR: ") {
			t.Errorf("%s %s: Helm's engine did not fail", c.chart, c.name)
		}
		if helm != ours {
			t.Errorf("%s %s:\n helm %q\n ours %q", c.chart, c.name, helm, ours)
		}
		n++
	}
	t.Logf("%d failing renders compared", n)
}
